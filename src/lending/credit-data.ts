/**
 * The training data of the built-in SME credit scorecard: the columns of the Statlog German
 * Credit data that an SME application can be mapped onto (credit-model.ts), all 1,000
 * applicants, in the original order, with the label `class` (good/bad).
 *
 * Source: Statlog (German Credit Data), Hans Hofmann, Institut für Statistik und
 * Ökonometrie, Universität Hamburg; UCI Machine Learning Repository; CC BY 4.0
 * (https://creativecommons.org/licenses/by/4.0/). Derived from the copy in
 * test/fixtures/german-credit.csv (the project's shared german-credit.csv) by keeping these
 * 9 columns; no value was changed. Kept in the source so the server can train the
 * model wherever it runs (the compiled package carries no data files).
 */
export const GERMAN_CREDIT_SME_CSV = `checking_status,duration,purpose,credit_amount,employment,installment_commitment,age,existing_credits,class
<0,6,radio/tv,1169,>=7,4,67,2,good
0<=X<200,48,radio/tv,5951,1<=X<4,2,22,1,bad
no checking,12,education,2096,4<=X<7,2,49,1,good
<0,42,furniture/equipment,7882,4<=X<7,2,45,1,good
<0,24,new car,4870,1<=X<4,3,53,2,bad
no checking,36,education,9055,1<=X<4,2,35,1,good
no checking,24,furniture/equipment,2835,>=7,3,53,1,good
0<=X<200,36,used car,6948,1<=X<4,2,35,1,good
no checking,12,radio/tv,3059,4<=X<7,2,61,1,good
0<=X<200,30,new car,5234,unemployed,4,28,2,bad
0<=X<200,12,new car,1295,<1,3,25,1,bad
<0,48,business,4308,<1,3,24,1,bad
0<=X<200,12,radio/tv,1567,1<=X<4,1,22,1,good
<0,24,new car,1199,>=7,4,60,2,bad
<0,15,new car,1403,1<=X<4,2,28,1,good
<0,24,radio/tv,1282,1<=X<4,4,32,1,bad
no checking,24,radio/tv,2424,>=7,4,53,2,good
<0,30,business,8072,<1,2,25,3,good
0<=X<200,24,used car,12579,>=7,4,44,1,bad
no checking,24,radio/tv,3430,>=7,3,31,1,good
no checking,9,new car,2134,1<=X<4,4,48,3,good
<0,6,radio/tv,2647,1<=X<4,2,44,1,good
<0,10,new car,2241,<1,1,48,2,good
0<=X<200,12,used car,1804,<1,3,44,1,good
no checking,10,furniture/equipment,2069,1<=X<4,2,26,2,good
<0,6,furniture/equipment,1374,1<=X<4,1,36,1,good
no checking,6,radio/tv,426,>=7,4,39,1,good
>=200,12,radio/tv,409,1<=X<4,3,42,2,good
0<=X<200,7,radio/tv,2415,1<=X<4,3,34,1,good
<0,60,business,6836,>=7,3,63,2,bad
0<=X<200,18,business,1913,<1,3,36,1,good
<0,24,furniture/equipment,4020,1<=X<4,2,27,1,good
0<=X<200,18,new car,5866,1<=X<4,2,30,2,good
no checking,12,business,1264,>=7,4,57,1,good
>=200,12,furniture/equipment,1474,<1,4,33,1,good
0<=X<200,45,radio/tv,4746,<1,4,25,2,bad
no checking,48,education,6110,1<=X<4,1,31,1,good
>=200,18,radio/tv,2100,1<=X<4,4,37,1,bad
>=200,10,domestic appliance,1225,1<=X<4,2,37,1,good
0<=X<200,9,radio/tv,458,1<=X<4,4,24,1,good
no checking,30,radio/tv,2333,>=7,4,30,1,good
0<=X<200,12,radio/tv,1158,1<=X<4,3,26,1,good
0<=X<200,18,repairs,6204,1<=X<4,2,44,1,good
<0,30,used car,6187,4<=X<7,1,24,2,good
<0,48,used car,6143,>=7,4,58,2,bad
no checking,11,new car,1393,<1,4,35,2,good
no checking,36,radio/tv,2299,>=7,4,39,1,good
<0,6,used car,1352,unemployed,1,23,1,good
no checking,11,new car,7228,1<=X<4,1,39,2,good
no checking,12,radio/tv,2073,1<=X<4,4,28,1,good
0<=X<200,24,furniture/equipment,2333,<1,4,29,1,good
0<=X<200,27,used car,5965,>=7,1,30,2,good
no checking,12,radio/tv,1262,1<=X<4,3,25,1,good
no checking,18,used car,3378,1<=X<4,2,31,1,good
0<=X<200,36,new car,2225,>=7,4,57,2,bad
no checking,6,new car,783,1<=X<4,1,26,1,good
0<=X<200,12,radio/tv,6468,unemployed,2,52,1,bad
no checking,36,radio/tv,9566,1<=X<4,2,31,2,good
>=200,18,new car,1961,>=7,3,23,1,good
<0,36,furniture/equipment,6229,<1,4,23,2,bad
0<=X<200,9,business,1391,1<=X<4,2,27,1,good
0<=X<200,15,radio/tv,1537,>=7,4,50,2,good
0<=X<200,36,business,1953,>=7,4,61,1,bad
0<=X<200,48,business,14421,1<=X<4,2,25,1,bad
no checking,24,radio/tv,3181,<1,4,26,1,good
no checking,27,repairs,5190,>=7,4,48,4,good
no checking,12,radio/tv,2171,<1,2,29,1,good
0<=X<200,12,new car,1007,1<=X<4,4,22,1,good
no checking,36,education,1819,1<=X<4,4,37,1,bad
no checking,36,radio/tv,2394,1<=X<4,4,25,1,good
no checking,36,used car,8133,1<=X<4,1,30,1,good
no checking,7,radio/tv,730,>=7,4,46,2,good
<0,8,other,1164,>=7,3,51,2,good
0<=X<200,42,business,5954,4<=X<7,2,41,2,good
<0,36,education,1977,>=7,4,40,1,bad
<0,12,used car,1526,>=7,4,66,2,good
<0,42,radio/tv,3965,<1,4,34,1,bad
0<=X<200,11,radio/tv,4771,4<=X<7,2,51,1,good
no checking,54,used car,9436,1<=X<4,2,39,1,good
0<=X<200,30,furniture/equipment,3832,<1,2,22,1,good
no checking,24,radio/tv,5943,<1,1,44,2,bad
no checking,15,radio/tv,1213,>=7,4,47,1,good
no checking,18,business,1568,1<=X<4,3,24,1,good
<0,24,other,1755,>=7,4,58,1,good
<0,10,radio/tv,2315,>=7,3,52,1,good
no checking,12,business,1412,1<=X<4,4,29,2,good
0<=X<200,18,furniture/equipment,1295,<1,4,27,2,good
0<=X<200,36,education,12612,1<=X<4,1,47,1,bad
<0,18,new car,2249,4<=X<7,4,30,1,good
<0,12,repairs,1108,4<=X<7,4,28,2,bad
no checking,12,radio/tv,618,>=7,4,56,1,good
<0,12,used car,1409,>=7,4,54,1,good
no checking,12,radio/tv,797,>=7,4,33,1,bad
>=200,24,furniture/equipment,3617,>=7,4,20,2,good
0<=X<200,12,new car,1318,>=7,4,54,1,good
0<=X<200,54,business,15945,<1,3,58,1,bad
no checking,12,education,2012,4<=X<7,4,61,1,good
0<=X<200,18,business,2622,1<=X<4,4,34,1,good
0<=X<200,36,radio/tv,2337,>=7,4,36,1,good
0<=X<200,20,used car,7057,4<=X<7,3,36,2,good
no checking,24,new car,1469,>=7,4,41,1,good
0<=X<200,36,radio/tv,2323,4<=X<7,4,24,1,good
no checking,6,radio/tv,932,1<=X<4,3,24,1,good
0<=X<200,9,furniture/equipment,1919,4<=X<7,4,35,1,good
no checking,12,used car,2445,<1,2,26,1,good
0<=X<200,24,other,11938,1<=X<4,2,39,2,bad
no checking,18,new car,6458,>=7,2,39,2,bad
0<=X<200,12,new car,6078,4<=X<7,2,32,1,good
<0,24,furniture/equipment,7721,<1,1,30,1,good
0<=X<200,14,business,1410,>=7,1,35,1,good
0<=X<200,6,business,1449,>=7,1,31,2,good
>=200,15,education,392,<1,4,23,1,good
0<=X<200,18,new car,6260,4<=X<7,3,28,1,good
no checking,36,new car,7855,1<=X<4,4,25,2,bad
<0,12,radio/tv,1680,>=7,3,35,1,good
no checking,48,radio/tv,3578,>=7,4,47,1,good
<0,42,radio/tv,7174,4<=X<7,4,30,1,bad
<0,10,furniture/equipment,2132,<1,2,27,2,good
<0,33,furniture/equipment,4281,1<=X<4,1,23,2,bad
0<=X<200,12,new car,2366,4<=X<7,3,36,1,good
<0,21,radio/tv,1835,1<=X<4,3,25,2,bad
no checking,24,used car,3868,>=7,4,41,2,good
no checking,12,furniture/equipment,1768,1<=X<4,3,24,1,good
>=200,10,new car,781,>=7,4,63,2,good
0<=X<200,18,furniture/equipment,1924,<1,4,27,1,bad
<0,12,new car,2121,1<=X<4,4,30,2,good
<0,12,radio/tv,701,1<=X<4,4,40,1,good
0<=X<200,12,repairs,639,1<=X<4,4,30,1,bad
0<=X<200,12,used car,1860,unemployed,4,34,2,good
<0,12,new car,3499,1<=X<4,3,29,2,bad
0<=X<200,48,new car,8487,4<=X<7,1,24,1,good
<0,36,education,6887,1<=X<4,4,29,1,bad
no checking,15,furniture/equipment,2708,<1,2,27,2,good
no checking,18,furniture/equipment,1984,1<=X<4,4,47,2,good
no checking,60,radio/tv,10144,4<=X<7,2,21,1,good
no checking,12,radio/tv,1240,>=7,4,38,2,good
no checking,27,used car,8613,1<=X<4,2,27,2,good
0<=X<200,12,radio/tv,766,1<=X<4,4,66,1,bad
0<=X<200,15,radio/tv,2728,4<=X<7,4,35,3,good
>=200,12,radio/tv,1881,1<=X<4,2,44,1,good
>=200,6,new car,709,<1,2,27,1,good
0<=X<200,36,radio/tv,4795,<1,4,30,1,good
<0,27,radio/tv,3416,1<=X<4,3,27,1,good
<0,18,furniture/equipment,2462,1<=X<4,2,22,1,bad
no checking,21,furniture/equipment,2288,<1,4,23,1,good
0<=X<200,48,business,3566,4<=X<7,4,30,1,good
<0,6,new car,860,>=7,1,39,2,good
no checking,12,new car,682,4<=X<7,4,51,2,good
<0,36,furniture/equipment,5371,1<=X<4,3,28,2,good
no checking,18,radio/tv,1582,>=7,4,46,2,good
no checking,6,radio/tv,1346,>=7,2,42,1,good
no checking,10,radio/tv,1924,1<=X<4,1,38,1,good
>=200,36,radio/tv,5848,1<=X<4,4,24,1,good
0<=X<200,24,used car,7758,>=7,2,29,1,good
0<=X<200,24,business,6967,4<=X<7,4,36,1,good
<0,12,furniture/equipment,1282,1<=X<4,2,20,1,bad
<0,9,repairs,1288,>=7,3,48,2,good
<0,12,retraining,339,>=7,4,45,1,good
0<=X<200,24,new car,3512,4<=X<7,2,38,2,good
no checking,6,radio/tv,1898,1<=X<4,1,34,2,good
no checking,24,radio/tv,2872,>=7,3,36,1,good
no checking,18,new car,1055,<1,4,30,2,good
no checking,15,domestic appliance,1262,4<=X<7,4,36,2,good
0<=X<200,10,new car,7308,unemployed,2,70,1,good
no checking,36,new car,909,>=7,4,36,1,good
no checking,6,furniture/equipment,2978,1<=X<4,1,32,1,good
<0,18,furniture/equipment,1131,unemployed,4,33,1,bad
0<=X<200,11,furniture/equipment,1577,<1,4,20,1,good
no checking,24,furniture/equipment,3972,4<=X<7,2,25,1,good
0<=X<200,24,business,1935,>=7,4,31,2,bad
<0,15,new car,950,>=7,4,33,2,bad
no checking,12,furniture/equipment,763,1<=X<4,4,26,1,good
0<=X<200,24,furniture/equipment,2064,unemployed,3,34,1,bad
0<=X<200,8,radio/tv,1414,1<=X<4,4,33,1,good
<0,21,education,3414,<1,2,26,2,bad
no checking,30,used car,7485,unemployed,4,53,1,bad
<0,12,furniture/equipment,2577,1<=X<4,2,42,1,good
<0,6,radio/tv,338,>=7,4,52,2,good
no checking,12,radio/tv,1963,4<=X<7,4,31,2,good
<0,21,new car,571,>=7,4,65,2,good
no checking,36,business,9572,<1,1,28,2,bad
0<=X<200,36,business,4455,1<=X<4,2,30,2,bad
<0,21,new car,1647,1<=X<4,4,40,2,bad
no checking,24,furniture/equipment,3777,1<=X<4,4,50,1,good
0<=X<200,18,new car,884,>=7,4,36,1,bad
no checking,15,radio/tv,1360,1<=X<4,4,31,2,good
0<=X<200,9,used car,5129,>=7,2,74,1,bad
0<=X<200,16,new car,1175,unemployed,2,68,3,good
<0,12,radio/tv,674,4<=X<7,4,20,1,bad
0<=X<200,18,furniture/equipment,3244,1<=X<4,1,33,2,good
no checking,24,business,4591,1<=X<4,2,54,3,bad
0<=X<200,48,business,3844,4<=X<7,4,34,1,bad
0<=X<200,27,business,3915,1<=X<4,4,36,1,bad
no checking,6,radio/tv,2108,4<=X<7,2,29,1,good
0<=X<200,45,radio/tv,3031,1<=X<4,4,21,1,bad
0<=X<200,9,education,1501,>=7,2,34,2,bad
no checking,6,radio/tv,1382,1<=X<4,1,28,2,good
0<=X<200,12,furniture/equipment,951,<1,4,27,4,bad
0<=X<200,24,used car,2760,>=7,4,36,1,good
0<=X<200,18,furniture/equipment,4297,>=7,4,40,1,bad
no checking,9,education,936,>=7,4,52,2,good
<0,12,new car,1168,1<=X<4,4,27,1,good
no checking,27,business,5117,4<=X<7,3,26,2,good
<0,12,retraining,902,4<=X<7,4,21,1,bad
no checking,12,new car,1495,>=7,4,38,2,good
<0,30,used car,10623,>=7,3,38,3,good
no checking,12,furniture/equipment,1935,>=7,4,43,3,good
0<=X<200,12,domestic appliance,1424,4<=X<7,4,26,1,good
<0,24,business,6568,1<=X<4,2,21,1,good
no checking,12,used car,1413,4<=X<7,3,55,1,good
no checking,9,radio/tv,3074,1<=X<4,1,33,2,good
no checking,36,radio/tv,3835,>=7,2,45,1,good
<0,27,business,5293,unemployed,2,50,2,bad
>=200,30,business,1908,>=7,4,66,1,bad
no checking,36,radio/tv,3342,>=7,4,51,1,good
0<=X<200,6,retraining,932,4<=X<7,1,39,2,good
<0,18,business,3104,4<=X<7,3,31,1,good
>=200,36,radio/tv,3913,1<=X<4,2,23,1,good
<0,24,furniture/equipment,3021,1<=X<4,2,24,1,good
no checking,10,new car,1364,1<=X<4,2,64,1,good
0<=X<200,12,radio/tv,625,<1,4,26,1,good
<0,12,education,1200,1<=X<4,4,23,1,good
no checking,12,radio/tv,707,1<=X<4,4,30,2,good
no checking,24,business,2978,1<=X<4,4,32,2,good
no checking,15,used car,4657,1<=X<4,3,30,1,good
no checking,36,repairs,2613,1<=X<4,4,27,2,good
0<=X<200,48,radio/tv,10961,4<=X<7,1,27,2,bad
<0,12,furniture/equipment,7865,>=7,4,53,1,bad
no checking,9,radio/tv,1478,4<=X<7,4,22,1,bad
<0,24,furniture/equipment,3149,<1,4,22,1,good
>=200,36,radio/tv,4210,1<=X<4,4,26,1,bad
no checking,9,new car,2507,>=7,2,51,1,good
no checking,12,radio/tv,2141,4<=X<7,3,35,1,good
0<=X<200,18,radio/tv,866,1<=X<4,4,25,1,good
no checking,4,radio/tv,1544,4<=X<7,2,42,3,good
<0,24,radio/tv,1823,unemployed,4,30,1,bad
0<=X<200,6,new car,14555,unemployed,1,23,1,bad
0<=X<200,21,business,2767,>=7,4,61,2,bad
no checking,12,radio/tv,1291,1<=X<4,4,35,2,good
<0,30,radio/tv,2522,>=7,1,39,1,good
<0,24,new car,915,>=7,4,29,1,bad
no checking,6,radio/tv,1595,4<=X<7,3,51,1,good
<0,48,used car,4605,>=7,3,24,2,bad
no checking,12,business,1185,1<=X<4,3,27,2,good
no checking,12,retraining,3447,1<=X<4,4,35,1,good
no checking,24,business,1258,4<=X<7,4,25,1,good
no checking,12,radio/tv,717,>=7,4,52,3,good
no checking,6,new car,1204,1<=X<4,4,35,1,good
>=200,24,furniture/equipment,1925,1<=X<4,2,26,1,good
no checking,18,radio/tv,433,unemployed,3,22,1,bad
<0,6,new car,666,4<=X<7,3,39,2,good
>=200,12,furniture/equipment,2251,1<=X<4,1,46,1,good
0<=X<200,30,new car,2150,1<=X<4,4,24,1,bad
no checking,24,furniture/equipment,4151,1<=X<4,2,35,2,good
0<=X<200,9,furniture/equipment,2030,4<=X<7,2,24,1,good
0<=X<200,60,radio/tv,7418,1<=X<4,1,27,1,good
no checking,24,radio/tv,2684,1<=X<4,4,35,2,good
<0,12,radio/tv,2149,1<=X<4,4,29,1,bad
no checking,15,used car,3812,<1,1,23,1,good
no checking,11,radio/tv,1154,unemployed,4,57,3,good
<0,12,furniture/equipment,1657,1<=X<4,2,27,1,good
<0,24,radio/tv,1603,>=7,4,55,1,good
<0,18,new car,5302,>=7,2,36,3,good
no checking,12,education,2748,>=7,2,57,3,good
no checking,10,new car,1231,>=7,3,32,2,good
0<=X<200,15,radio/tv,802,>=7,4,37,1,bad
no checking,36,business,6304,>=7,4,36,2,good
no checking,24,radio/tv,1533,<1,4,38,1,good
<0,14,new car,8978,>=7,1,45,1,bad
no checking,24,radio/tv,999,>=7,4,25,2,good
no checking,18,new car,2662,4<=X<7,4,32,1,good
no checking,12,furniture/equipment,1402,4<=X<7,3,37,1,good
0<=X<200,48,new car,12169,unemployed,4,36,1,good
0<=X<200,48,radio/tv,3060,4<=X<7,4,28,2,bad
<0,30,repairs,11998,<1,1,34,1,bad
no checking,9,radio/tv,2697,1<=X<4,1,32,1,good
no checking,18,radio/tv,2404,1<=X<4,2,26,2,good
<0,12,furniture/equipment,1262,>=7,2,49,1,good
no checking,6,furniture/equipment,4611,<1,1,32,1,bad
no checking,24,radio/tv,1901,1<=X<4,4,29,1,good
no checking,15,used car,3368,>=7,3,23,2,good
no checking,12,furniture/equipment,1574,1<=X<4,4,50,1,good
>=200,18,radio/tv,1445,4<=X<7,4,49,1,good
no checking,15,furniture/equipment,1520,>=7,4,63,1,good
0<=X<200,24,new car,3878,<1,4,37,1,good
<0,47,new car,10722,<1,1,35,1,good
<0,48,used car,4788,4<=X<7,4,26,1,good
0<=X<200,48,other,7582,unemployed,2,31,1,good
0<=X<200,12,radio/tv,1092,1<=X<4,4,49,2,good
<0,24,radio/tv,1024,<1,4,48,1,bad
no checking,12,business,1076,1<=X<4,2,26,1,good
0<=X<200,36,used car,9398,<1,1,28,1,bad
<0,24,used car,6419,>=7,2,44,2,good
>=200,42,used car,4796,>=7,4,56,1,good
no checking,48,business,7629,>=7,4,46,2,good
0<=X<200,48,furniture/equipment,9960,<1,1,26,1,bad
no checking,12,used car,4675,<1,1,20,1,good
no checking,10,new car,1287,>=7,4,45,1,good
no checking,18,furniture/equipment,2515,1<=X<4,3,43,1,good
0<=X<200,21,furniture/equipment,2745,4<=X<7,3,32,2,good
no checking,6,new car,672,unemployed,1,54,1,good
0<=X<200,36,radio/tv,3804,1<=X<4,4,42,1,bad
>=200,24,new car,1344,4<=X<7,4,37,2,bad
<0,10,new car,1038,4<=X<7,4,49,2,good
no checking,48,new car,10127,1<=X<4,2,44,1,bad
no checking,6,furniture/equipment,1543,1<=X<4,4,33,1,good
no checking,30,used car,4811,4<=X<7,2,24,1,good
<0,12,radio/tv,727,<1,4,33,1,bad
0<=X<200,8,furniture/equipment,1237,1<=X<4,3,24,1,bad
0<=X<200,9,new car,276,1<=X<4,4,22,1,good
0<=X<200,48,other,5381,unemployed,3,40,1,good
no checking,24,furniture/equipment,5511,1<=X<4,4,25,1,good
>=200,24,furniture/equipment,3749,<1,2,26,1,good
0<=X<200,12,new car,685,4<=X<7,2,25,1,bad
>=200,4,new car,1494,<1,1,29,1,good
<0,36,furniture/equipment,2746,>=7,4,31,1,bad
<0,12,furniture/equipment,708,1<=X<4,2,38,1,good
0<=X<200,24,furniture/equipment,4351,1<=X<4,1,48,1,good
no checking,12,education,701,1<=X<4,4,32,2,good
<0,15,furniture/equipment,3643,>=7,1,27,2,good
0<=X<200,30,new car,4249,unemployed,4,28,2,bad
<0,24,radio/tv,1938,<1,4,32,1,bad
<0,24,used car,2910,4<=X<7,2,34,1,good
<0,18,furniture/equipment,2659,1<=X<4,4,28,1,good
no checking,18,new car,1028,1<=X<4,4,36,2,good
<0,8,new car,3398,4<=X<7,1,39,2,good
no checking,12,furniture/equipment,5801,>=7,2,49,1,good
no checking,24,new car,1525,4<=X<7,4,34,1,good
>=200,36,radio/tv,4473,>=7,4,31,1,good
0<=X<200,6,radio/tv,1068,>=7,4,28,1,good
<0,24,used car,6615,unemployed,2,75,2,good
no checking,18,education,1864,1<=X<4,4,30,2,bad
0<=X<200,60,new car,7408,<1,4,24,1,bad
no checking,48,used car,11590,1<=X<4,2,24,2,bad
<0,24,furniture/equipment,4110,>=7,3,23,2,bad
<0,6,furniture/equipment,3384,1<=X<4,1,44,1,bad
0<=X<200,13,radio/tv,2101,<1,2,23,1,good
<0,15,domestic appliance,1275,1<=X<4,4,24,1,bad
<0,24,furniture/equipment,4169,1<=X<4,4,28,1,good
0<=X<200,10,furniture/equipment,1521,1<=X<4,4,31,1,good
0<=X<200,24,education,5743,<1,2,24,2,good
<0,21,furniture/equipment,3599,4<=X<7,1,26,1,good
0<=X<200,18,radio/tv,3213,<1,1,25,1,good
0<=X<200,18,business,4439,>=7,1,33,1,good
>=200,10,new car,3949,<1,1,37,1,good
no checking,15,radio/tv,1459,1<=X<4,4,43,1,good
0<=X<200,13,radio/tv,882,<1,4,23,2,good
0<=X<200,24,radio/tv,3758,unemployed,1,23,1,good
no checking,6,business,1743,1<=X<4,1,34,2,good
0<=X<200,9,education,1136,>=7,4,32,2,bad
no checking,9,domestic appliance,1236,<1,1,23,1,good
0<=X<200,9,furniture/equipment,959,1<=X<4,1,29,1,bad
no checking,18,used car,3229,unemployed,2,38,1,good
<0,12,radio/tv,6199,1<=X<4,4,28,2,bad
no checking,10,education,727,>=7,4,46,1,good
0<=X<200,24,new car,1246,<1,4,23,1,bad
no checking,12,radio/tv,2331,>=7,1,49,1,good
no checking,36,radio/tv,4463,1<=X<4,4,26,2,bad
no checking,12,radio/tv,776,1<=X<4,4,28,1,good
<0,30,furniture/equipment,2406,4<=X<7,4,23,1,bad
0<=X<200,18,education,1239,1<=X<4,4,61,1,good
>=200,12,radio/tv,3399,>=7,2,37,1,good
>=200,12,new car,2247,1<=X<4,2,36,2,good
no checking,6,furniture/equipment,1766,1<=X<4,1,21,1,good
<0,18,furniture/equipment,2473,unemployed,4,25,1,bad
no checking,12,business,1542,4<=X<7,2,36,1,good
no checking,18,used car,3850,4<=X<7,3,27,2,good
<0,18,furniture/equipment,3650,<1,1,22,1,good
<0,36,furniture/equipment,3446,>=7,4,42,1,bad
0<=X<200,18,furniture/equipment,3001,4<=X<7,2,40,1,good
no checking,36,new car,3079,1<=X<4,4,36,1,good
no checking,18,radio/tv,6070,>=7,3,33,2,good
no checking,10,furniture/equipment,2146,<1,1,23,2,good
no checking,60,new car,13756,>=7,2,63,1,good
0<=X<200,60,other,14782,>=7,3,60,2,bad
<0,48,business,7685,4<=X<7,2,37,1,bad
no checking,18,radio/tv,2320,unemployed,2,34,2,good
no checking,7,radio/tv,846,>=7,3,36,1,good
0<=X<200,36,new car,14318,>=7,4,57,1,bad
no checking,6,new car,362,1<=X<4,4,52,2,good
<0,20,furniture/equipment,2212,4<=X<7,4,39,1,good
0<=X<200,18,used car,12976,unemployed,3,38,1,bad
no checking,22,new car,1283,4<=X<7,4,25,1,good
>=200,12,new car,1330,<1,4,26,1,good
no checking,30,business,4272,1<=X<4,2,26,2,good
no checking,18,radio/tv,2238,1<=X<4,2,25,2,good
no checking,18,radio/tv,1126,<1,4,21,1,good
0<=X<200,18,furniture/equipment,7374,unemployed,4,40,2,good
0<=X<200,15,business,2326,1<=X<4,2,27,1,good
no checking,9,business,1449,4<=X<7,3,27,2,good
no checking,18,new car,1820,1<=X<4,2,30,1,good
0<=X<200,12,furniture/equipment,983,<1,1,19,1,good
<0,36,new car,3249,4<=X<7,2,39,1,good
<0,6,radio/tv,1957,4<=X<7,1,31,1,good
no checking,9,furniture/equipment,2406,unemployed,2,31,1,good
0<=X<200,39,education,11760,4<=X<7,2,32,1,good
<0,12,furniture/equipment,2578,unemployed,3,55,1,good
<0,36,furniture/equipment,2348,1<=X<4,3,46,2,good
0<=X<200,12,new car,1223,>=7,1,46,2,bad
no checking,24,radio/tv,1516,1<=X<4,4,43,2,good
no checking,18,radio/tv,1473,<1,3,39,1,good
0<=X<200,18,business,1887,1<=X<4,4,28,2,good
no checking,24,business,8648,<1,2,27,2,bad
no checking,14,new car,802,1<=X<4,4,27,2,good
0<=X<200,18,new car,2899,>=7,4,43,1,good
0<=X<200,24,radio/tv,2039,<1,1,22,1,bad
no checking,24,used car,2197,4<=X<7,4,43,2,good
<0,15,radio/tv,1053,<1,4,27,1,good
no checking,24,radio/tv,3235,>=7,3,26,1,good
>=200,12,new car,939,4<=X<7,4,28,3,bad
0<=X<200,24,radio/tv,1967,>=7,4,20,1,good
no checking,33,used car,7253,4<=X<7,3,35,2,good
no checking,12,business,2292,unemployed,4,42,2,bad
no checking,10,new car,1597,1<=X<4,3,40,1,good
<0,24,new car,1381,1<=X<4,4,35,1,bad
no checking,36,used car,5842,>=7,2,35,2,good
<0,12,new car,2579,<1,4,33,1,bad
<0,18,education,8471,1<=X<4,1,23,2,good
no checking,21,new car,2782,4<=X<7,1,31,1,good
0<=X<200,18,new car,1042,1<=X<4,4,33,1,bad
no checking,15,new car,3186,4<=X<7,2,20,1,good
0<=X<200,12,used car,2028,1<=X<4,4,30,1,good
0<=X<200,12,new car,958,4<=X<7,2,47,2,good
no checking,21,furniture/equipment,1591,4<=X<7,4,34,2,good
0<=X<200,12,furniture/equipment,2762,>=7,1,25,1,bad
0<=X<200,18,used car,2779,1<=X<4,1,21,1,good
no checking,28,radio/tv,2743,>=7,4,29,2,good
no checking,18,radio/tv,1149,1<=X<4,4,46,2,good
no checking,9,furniture/equipment,1313,>=7,1,20,1,good
<0,18,repairs,1190,unemployed,2,55,3,bad
no checking,5,business,3448,4<=X<7,1,74,1,good
0<=X<200,24,other,11328,1<=X<4,2,29,2,bad
<0,6,furniture/equipment,1872,unemployed,4,36,3,good
no checking,24,repairs,2058,1<=X<4,4,33,2,good
<0,9,furniture/equipment,2136,1<=X<4,3,25,1,good
0<=X<200,12,radio/tv,1484,1<=X<4,2,25,1,bad
no checking,6,repairs,660,4<=X<7,2,23,1,good
no checking,24,new car,1287,>=7,4,37,2,good
<0,42,repairs,3394,unemployed,4,65,2,good
>=200,12,business,609,<1,4,26,1,bad
no checking,12,new car,1884,>=7,4,39,1,good
<0,12,furniture/equipment,1620,1<=X<4,2,30,1,good
0<=X<200,20,other,2629,1<=X<4,2,29,2,good
no checking,12,education,719,>=7,4,41,1,bad
0<=X<200,48,furniture/equipment,5096,1<=X<4,2,30,1,bad
no checking,9,education,1244,>=7,4,41,2,good
<0,36,new car,1842,<1,4,34,1,bad
0<=X<200,7,radio/tv,2576,1<=X<4,2,35,1,good
>=200,12,furniture/equipment,1424,>=7,3,55,1,good
0<=X<200,15,repairs,1512,1<=X<4,3,61,2,bad
no checking,36,used car,11054,1<=X<4,4,30,1,good
no checking,6,radio/tv,518,1<=X<4,3,29,1,good
no checking,12,furniture/equipment,2759,>=7,2,34,2,good
no checking,24,used car,2670,>=7,4,35,1,good
<0,24,new car,4817,4<=X<7,2,31,1,bad
no checking,24,used car,2679,<1,4,29,1,good
<0,11,new car,3905,1<=X<4,2,36,2,good
<0,12,used car,3386,>=7,3,35,1,bad
<0,6,domestic appliance,343,<1,4,27,1,good
no checking,18,radio/tv,4594,<1,3,32,1,good
<0,36,furniture/equipment,3620,1<=X<4,1,37,1,good
<0,15,new car,1721,<1,2,36,1,good
0<=X<200,12,furniture/equipment,3017,<1,3,34,1,good
0<=X<200,12,retraining,754,>=7,4,38,2,good
no checking,18,business,1950,4<=X<7,4,34,2,good
<0,24,used car,2924,1<=X<4,3,63,1,good
<0,24,radio/tv,1659,<1,4,29,1,bad
no checking,48,radio/tv,7238,>=7,3,32,2,good
no checking,33,business,2764,1<=X<4,2,26,2,good
no checking,24,used car,4679,4<=X<7,3,35,2,good
0<=X<200,24,radio/tv,3092,<1,3,22,1,bad
<0,6,education,448,<1,4,23,1,bad
<0,9,new car,654,1<=X<4,4,28,1,bad
no checking,6,retraining,1238,unemployed,4,36,1,good
0<=X<200,18,radio/tv,1245,1<=X<4,4,33,1,bad
<0,18,furniture/equipment,3114,<1,1,26,1,bad
no checking,39,used car,2569,1<=X<4,4,24,1,good
>=200,24,radio/tv,5152,4<=X<7,4,25,1,good
0<=X<200,12,business,1037,4<=X<7,3,39,1,good
<0,15,furniture/equipment,1478,>=7,4,44,2,good
0<=X<200,12,radio/tv,3573,1<=X<4,1,23,1,good
0<=X<200,24,new car,1201,<1,4,26,1,good
<0,30,furniture/equipment,3622,>=7,4,57,2,good
no checking,15,furniture/equipment,960,4<=X<7,3,30,2,good
no checking,12,new car,1163,1<=X<4,4,44,1,good
0<=X<200,6,new car,1209,unemployed,4,47,1,bad
no checking,12,radio/tv,3077,1<=X<4,2,52,1,good
no checking,24,new car,3757,>=7,4,62,1,good
no checking,10,new car,1418,1<=X<4,3,35,1,good
no checking,6,new car,3518,1<=X<4,2,26,1,good
no checking,12,radio/tv,1934,>=7,2,26,2,good
0<=X<200,27,business,8318,>=7,2,42,2,bad
no checking,6,radio/tv,1237,1<=X<4,1,27,2,good
0<=X<200,6,radio/tv,368,>=7,4,38,1,good
<0,12,new car,2122,1<=X<4,3,39,2,good
<0,24,furniture/equipment,2996,1<=X<4,2,20,1,bad
0<=X<200,36,furniture/equipment,9034,<1,4,29,1,bad
no checking,24,furniture/equipment,1585,4<=X<7,4,40,2,good
0<=X<200,18,radio/tv,1301,>=7,4,32,1,good
>=200,6,new car,1323,>=7,2,28,2,good
<0,24,new car,3123,<1,4,27,1,bad
<0,36,used car,5493,>=7,2,42,1,good
>=200,9,radio/tv,1126,>=7,2,49,1,good
0<=X<200,24,radio/tv,1216,<1,4,38,2,bad
<0,24,new car,1207,<1,4,24,1,bad
no checking,10,new car,1309,1<=X<4,4,27,1,bad
>=200,15,used car,2360,1<=X<4,2,36,1,good
0<=X<200,15,new car,6850,unemployed,1,34,1,bad
no checking,24,radio/tv,1413,1<=X<4,4,28,1,good
no checking,39,used car,8588,>=7,4,45,1,good
<0,12,new car,759,4<=X<7,4,26,1,bad
no checking,36,used car,4686,1<=X<4,2,32,1,good
>=200,15,business,2687,4<=X<7,2,26,1,good
0<=X<200,12,radio/tv,585,1<=X<4,4,20,2,good
no checking,24,new car,2255,<1,4,54,1,good
<0,6,new car,609,4<=X<7,4,37,2,good
<0,6,new car,1361,<1,2,40,1,good
no checking,36,furniture/equipment,7127,<1,2,23,2,bad
<0,6,new car,1203,>=7,3,43,1,good
no checking,6,radio/tv,700,>=7,4,36,2,good
no checking,24,repairs,5507,>=7,3,44,2,good
<0,18,radio/tv,3190,1<=X<4,2,24,1,bad
<0,48,furniture/equipment,7119,1<=X<4,3,53,2,bad
no checking,24,used car,3488,4<=X<7,3,23,1,good
0<=X<200,18,radio/tv,1113,1<=X<4,4,26,1,good
0<=X<200,26,used car,7966,<1,2,30,2,good
no checking,15,education,1532,1<=X<4,4,31,1,good
no checking,4,radio/tv,1503,4<=X<7,2,42,2,good
<0,36,radio/tv,2302,1<=X<4,4,31,1,bad
<0,6,new car,662,<1,3,41,1,good
0<=X<200,36,education,2273,4<=X<7,3,32,2,good
0<=X<200,15,new car,2631,1<=X<4,2,28,2,bad
no checking,12,used car,1503,1<=X<4,4,41,1,good
no checking,24,radio/tv,1311,4<=X<7,4,26,1,good
no checking,24,radio/tv,3105,<1,4,25,2,good
>=200,21,education,2319,<1,2,33,1,bad
<0,6,new car,1374,unemployed,4,75,1,good
0<=X<200,18,furniture/equipment,3612,>=7,3,37,1,good
<0,48,new car,7763,>=7,4,42,1,bad
>=200,18,furniture/equipment,3049,<1,1,45,1,good
0<=X<200,12,radio/tv,1534,<1,1,23,1,bad
no checking,24,new car,2032,>=7,4,60,2,good
<0,30,furniture/equipment,6350,>=7,4,31,1,bad
>=200,18,furniture/equipment,2864,1<=X<4,2,34,1,bad
no checking,12,new car,1255,>=7,4,61,2,good
<0,24,new car,1333,unemployed,4,43,2,bad
no checking,24,new car,2022,1<=X<4,4,37,1,good
no checking,24,radio/tv,1552,4<=X<7,3,32,1,good
<0,12,radio/tv,626,1<=X<4,4,24,1,bad
no checking,48,used car,8858,4<=X<7,2,35,2,good
no checking,12,repairs,996,4<=X<7,4,23,2,good
no checking,6,radio/tv,1750,>=7,2,45,1,good
<0,48,radio/tv,6999,4<=X<7,1,34,2,bad
0<=X<200,12,new car,1995,<1,4,27,1,good
0<=X<200,9,education,1199,4<=X<7,4,67,2,good
0<=X<200,12,radio/tv,1331,<1,2,22,1,bad
0<=X<200,18,new car,2278,<1,3,28,2,bad
no checking,21,new car,5003,1<=X<4,1,29,2,bad
<0,24,furniture/equipment,3552,4<=X<7,3,27,1,bad
0<=X<200,18,furniture/equipment,1928,<1,2,31,2,bad
<0,24,used car,2964,>=7,4,49,1,good
<0,24,radio/tv,1546,4<=X<7,4,24,1,bad
>=200,6,radio/tv,683,<1,2,29,1,good
0<=X<200,36,new car,12389,1<=X<4,1,37,1,bad
0<=X<200,24,business,4712,1<=X<4,4,37,2,good
0<=X<200,24,radio/tv,1553,4<=X<7,3,23,2,good
<0,12,new car,1372,4<=X<7,2,36,1,bad
no checking,24,radio/tv,2578,>=7,2,34,1,good
0<=X<200,48,radio/tv,3979,4<=X<7,4,41,2,good
<0,48,radio/tv,6758,1<=X<4,3,31,1,bad
<0,24,furniture/equipment,3234,<1,4,23,1,bad
no checking,30,radio/tv,5954,4<=X<7,3,38,1,good
no checking,24,used car,5433,unemployed,2,26,1,good
<0,15,business,806,1<=X<4,4,22,1,good
0<=X<200,9,radio/tv,1082,>=7,4,27,2,good
no checking,15,furniture/equipment,2788,4<=X<7,2,24,2,good
0<=X<200,12,radio/tv,2930,4<=X<7,2,27,1,good
no checking,24,education,1927,1<=X<4,3,33,2,good
0<=X<200,36,new car,2820,<1,4,27,2,bad
no checking,24,retraining,937,<1,4,27,2,good
0<=X<200,18,new car,1056,>=7,3,30,2,bad
0<=X<200,12,new car,3124,<1,1,49,2,good
no checking,9,furniture/equipment,1388,1<=X<4,4,26,1,good
0<=X<200,36,repairs,2384,<1,4,33,1,bad
no checking,12,new car,2133,>=7,4,52,1,good
<0,18,furniture/equipment,2039,1<=X<4,1,20,1,bad
<0,9,new car,2799,1<=X<4,2,36,2,good
<0,12,furniture/equipment,1289,1<=X<4,4,21,1,good
<0,18,domestic appliance,1217,1<=X<4,4,47,1,bad
<0,12,furniture/equipment,2246,>=7,3,60,2,bad
<0,12,radio/tv,385,4<=X<7,4,58,4,good
0<=X<200,24,new car,1965,1<=X<4,4,42,2,good
no checking,21,business,1572,>=7,4,36,1,good
0<=X<200,24,new car,2718,1<=X<4,3,20,1,bad
<0,24,other,1358,>=7,4,40,1,bad
0<=X<200,6,new car,931,<1,1,32,1,bad
<0,24,new car,1442,4<=X<7,4,23,2,bad
0<=X<200,24,business,4241,1<=X<4,1,36,3,bad
no checking,18,new car,2775,4<=X<7,2,31,2,bad
no checking,24,business,3863,1<=X<4,1,32,1,good
0<=X<200,7,radio/tv,2329,<1,1,45,1,good
0<=X<200,9,furniture/equipment,918,1<=X<4,4,30,1,bad
0<=X<200,24,education,1837,4<=X<7,4,34,1,bad
no checking,36,furniture/equipment,3349,1<=X<4,4,28,1,bad
>=200,10,furniture/equipment,1275,<1,4,23,1,good
<0,24,furniture/equipment,2828,1<=X<4,4,22,1,good
no checking,24,business,4526,1<=X<4,3,74,1,good
0<=X<200,36,radio/tv,2671,1<=X<4,4,50,1,bad
no checking,18,radio/tv,2051,<1,4,33,1,good
no checking,15,used car,1300,>=7,4,45,1,good
<0,12,domestic appliance,741,unemployed,4,22,1,bad
>=200,10,new car,1240,>=7,1,48,1,bad
<0,21,radio/tv,3357,<1,4,29,1,good
<0,24,used car,3632,1<=X<4,1,22,1,good
no checking,18,furniture/equipment,1808,4<=X<7,4,22,1,bad
0<=X<200,48,business,12204,1<=X<4,2,48,1,good
0<=X<200,60,radio/tv,9157,1<=X<4,2,27,1,good
<0,6,new car,3676,1<=X<4,1,37,3,good
0<=X<200,30,furniture/equipment,3441,1<=X<4,2,21,1,bad
no checking,12,new car,640,1<=X<4,4,49,1,good
0<=X<200,21,business,3652,4<=X<7,2,27,2,good
no checking,18,new car,1530,1<=X<4,3,32,2,bad
no checking,48,business,3914,1<=X<4,4,38,1,bad
<0,12,furniture/equipment,1858,<1,4,22,1,good
<0,18,radio/tv,2600,1<=X<4,4,65,2,bad
no checking,15,radio/tv,1979,>=7,4,35,1,good
>=200,6,furniture/equipment,2116,1<=X<4,2,41,1,good
0<=X<200,9,new car,1437,4<=X<7,2,29,1,bad
no checking,42,furniture/equipment,4042,1<=X<4,4,36,2,good
no checking,9,education,3832,>=7,1,64,1,good
<0,24,radio/tv,3660,1<=X<4,2,28,1,good
<0,18,furniture/equipment,1553,1<=X<4,4,44,1,bad
0<=X<200,15,radio/tv,1444,<1,4,23,1,good
no checking,9,furniture/equipment,1980,<1,2,19,2,bad
0<=X<200,24,new car,1355,<1,3,25,1,bad
no checking,12,education,1393,>=7,4,47,3,good
no checking,24,radio/tv,1376,4<=X<7,4,28,1,good
no checking,60,radio/tv,15653,4<=X<7,2,21,2,good
no checking,12,radio/tv,1493,<1,4,34,1,good
<0,42,radio/tv,4370,4<=X<7,3,26,2,bad
<0,18,education,750,unemployed,4,27,1,bad
0<=X<200,15,repairs,1308,>=7,4,38,2,good
no checking,15,education,4623,1<=X<4,3,40,1,bad
no checking,24,radio/tv,1851,4<=X<7,4,33,2,good
<0,18,radio/tv,1880,4<=X<7,4,32,2,good
no checking,36,business,7980,<1,4,27,2,bad
<0,30,furniture/equipment,4583,1<=X<4,2,32,2,good
no checking,12,new car,1386,1<=X<4,2,26,1,bad
>=200,24,new car,947,4<=X<7,4,38,1,bad
<0,12,education,684,1<=X<4,4,40,1,bad
<0,48,education,7476,4<=X<7,4,50,1,good
0<=X<200,12,furniture/equipment,1922,1<=X<4,4,37,1,bad
<0,24,new car,2303,>=7,4,45,1,bad
0<=X<200,36,new car,8086,>=7,2,42,4,bad
no checking,24,used car,2346,4<=X<7,4,35,2,good
<0,14,new car,3973,unemployed,1,22,1,good
0<=X<200,12,new car,888,>=7,4,41,1,bad
no checking,48,radio/tv,10222,4<=X<7,4,37,1,good
0<=X<200,30,business,4221,1<=X<4,2,28,2,good
0<=X<200,18,furniture/equipment,6361,>=7,2,41,1,good
>=200,12,radio/tv,1297,1<=X<4,3,23,1,good
<0,12,new car,900,1<=X<4,4,23,1,bad
no checking,21,furniture/equipment,2241,>=7,4,50,2,good
0<=X<200,6,furniture/equipment,1050,unemployed,4,35,2,good
>=200,6,education,1047,1<=X<4,2,50,1,good
no checking,24,other,6314,unemployed,4,27,2,good
0<=X<200,30,furniture/equipment,3496,1<=X<4,4,34,1,good
no checking,48,business,3609,1<=X<4,1,27,1,good
<0,12,new car,4843,>=7,3,43,2,bad
>=200,30,radio/tv,3017,>=7,4,47,1,good
no checking,24,business,4139,1<=X<4,3,27,2,good
no checking,36,business,5742,4<=X<7,2,31,2,good
no checking,60,new car,10366,>=7,2,42,1,good
no checking,6,new car,2080,1<=X<4,1,24,1,good
no checking,21,business,2580,<1,4,41,1,bad
no checking,30,radio/tv,4530,4<=X<7,4,26,1,good
no checking,24,furniture/equipment,5150,>=7,4,33,1,good
0<=X<200,72,radio/tv,5595,1<=X<4,2,24,1,bad
<0,24,radio/tv,2384,>=7,4,64,1,good
no checking,18,radio/tv,1453,<1,3,26,1,good
no checking,6,education,1538,<1,1,56,1,good
no checking,12,radio/tv,2279,1<=X<4,4,37,1,good
no checking,15,radio/tv,1478,1<=X<4,4,33,2,good
no checking,24,radio/tv,5103,<1,3,47,3,good
0<=X<200,36,business,9857,4<=X<7,1,31,2,good
no checking,60,new car,6527,1<=X<4,4,34,1,good
>=200,10,radio/tv,1347,4<=X<7,4,27,2,good
0<=X<200,36,new car,2862,>=7,4,30,1,good
no checking,9,radio/tv,2753,>=7,3,35,1,good
<0,12,new car,3651,1<=X<4,1,31,1,good
<0,15,furniture/equipment,975,1<=X<4,2,25,2,good
0<=X<200,15,repairs,2631,1<=X<4,3,25,1,good
0<=X<200,24,radio/tv,2896,<1,2,29,1,good
<0,6,new car,4716,<1,1,44,2,good
no checking,24,radio/tv,2284,4<=X<7,4,28,1,good
no checking,6,used car,1236,1<=X<4,2,50,1,good
0<=X<200,12,radio/tv,1103,4<=X<7,4,29,2,good
no checking,12,new car,926,unemployed,1,38,1,good
no checking,18,radio/tv,1800,1<=X<4,4,24,2,good
>=200,15,education,1905,>=7,4,40,1,good
no checking,12,furniture/equipment,1123,1<=X<4,4,29,1,bad
<0,48,used car,6331,>=7,4,46,2,bad
>=200,24,radio/tv,1377,>=7,4,47,1,good
0<=X<200,30,business,2503,>=7,4,41,2,good
0<=X<200,27,business,2528,<1,4,32,1,good
no checking,15,new car,5324,>=7,1,35,1,good
0<=X<200,48,new car,6560,4<=X<7,3,24,1,bad
0<=X<200,12,furniture/equipment,2969,<1,4,25,2,bad
0<=X<200,9,radio/tv,1206,>=7,4,25,1,good
0<=X<200,9,radio/tv,2118,1<=X<4,2,37,1,good
no checking,18,radio/tv,629,>=7,4,32,2,good
<0,6,education,1198,>=7,4,35,1,bad
no checking,21,used car,2476,>=7,4,46,1,good
<0,9,radio/tv,1138,1<=X<4,4,25,2,good
0<=X<200,60,new car,14027,4<=X<7,4,27,1,bad
no checking,30,used car,7596,>=7,1,63,2,good
no checking,30,radio/tv,3077,>=7,3,40,2,good
no checking,18,radio/tv,1505,1<=X<4,4,32,1,good
>=200,24,radio/tv,3148,1<=X<4,3,31,2,good
0<=X<200,20,used car,6148,>=7,3,31,2,good
>=200,9,radio/tv,1337,<1,4,34,2,bad
0<=X<200,6,education,433,<1,4,24,1,bad
<0,12,new car,1228,1<=X<4,4,24,1,bad
0<=X<200,9,radio/tv,790,1<=X<4,4,66,1,good
no checking,27,new car,2570,1<=X<4,3,21,1,bad
no checking,6,new car,250,1<=X<4,2,41,2,good
no checking,15,radio/tv,1316,1<=X<4,2,47,2,good
<0,18,radio/tv,1882,1<=X<4,4,25,2,bad
0<=X<200,48,business,6416,>=7,4,59,1,bad
>=200,24,business,1275,1<=X<4,2,36,2,good
0<=X<200,24,radio/tv,6403,<1,1,33,1,good
<0,24,radio/tv,1987,1<=X<4,2,21,1,bad
0<=X<200,8,radio/tv,760,4<=X<7,4,44,1,good
no checking,24,used car,2603,1<=X<4,2,28,1,good
no checking,4,new car,3380,4<=X<7,1,37,1,good
0<=X<200,36,domestic appliance,3990,<1,3,29,1,good
0<=X<200,24,used car,11560,1<=X<4,1,23,2,bad
<0,18,new car,4380,1<=X<4,3,35,1,good
no checking,6,new car,6761,4<=X<7,1,45,2,good
0<=X<200,30,business,4280,1<=X<4,4,26,2,bad
<0,24,new car,2325,4<=X<7,2,32,1,good
0<=X<200,10,radio/tv,1048,1<=X<4,4,23,1,good
no checking,21,radio/tv,3160,>=7,4,41,1,good
<0,24,furniture/equipment,2483,1<=X<4,4,22,1,good
<0,39,furniture/equipment,14179,4<=X<7,4,30,2,good
<0,13,business,1797,<1,3,28,2,good
<0,15,new car,2511,unemployed,1,23,1,good
<0,12,new car,1274,<1,3,37,1,bad
no checking,21,used car,5248,1<=X<4,1,26,1,good
no checking,15,used car,3029,4<=X<7,2,33,1,good
<0,6,furniture/equipment,428,>=7,2,49,1,good
<0,18,new car,976,<1,1,23,1,bad
0<=X<200,12,business,841,4<=X<7,2,23,1,good
no checking,30,radio/tv,5771,4<=X<7,4,25,2,good
no checking,12,repairs,1555,>=7,4,55,2,bad
<0,24,new car,1285,4<=X<7,4,32,1,bad
>=200,6,new car,1299,1<=X<4,1,74,3,good
>=200,15,radio/tv,1271,1<=X<4,3,39,2,bad
no checking,24,new car,1393,1<=X<4,2,31,1,good
<0,12,new car,691,>=7,4,35,2,bad
no checking,15,new car,5045,>=7,1,59,1,good
<0,18,furniture/equipment,2124,1<=X<4,4,24,2,bad
<0,12,radio/tv,2214,1<=X<4,4,24,1,good
no checking,21,new car,12680,>=7,4,30,1,bad
no checking,24,new car,2463,4<=X<7,4,27,2,good
0<=X<200,12,radio/tv,1155,>=7,3,40,2,good
<0,30,furniture/equipment,3108,<1,2,31,1,bad
no checking,10,used car,2901,<1,1,31,1,good
0<=X<200,12,furniture/equipment,3617,>=7,1,28,3,good
no checking,12,radio/tv,1655,>=7,2,63,2,good
<0,24,used car,2812,>=7,2,26,1,good
<0,36,education,8065,1<=X<4,3,25,2,bad
no checking,21,used car,3275,>=7,1,36,1,good
no checking,24,radio/tv,2223,>=7,4,52,2,good
>=200,12,new car,1480,unemployed,2,66,3,good
<0,24,new car,1371,1<=X<4,4,25,1,bad
no checking,36,new car,3535,4<=X<7,4,37,2,good
<0,18,radio/tv,3509,4<=X<7,4,25,1,good
no checking,36,used car,5711,>=7,4,38,2,good
0<=X<200,18,repairs,3872,unemployed,2,67,1,good
0<=X<200,39,radio/tv,4933,4<=X<7,2,25,2,bad
no checking,24,new car,1940,>=7,4,60,1,good
0<=X<200,12,retraining,1410,1<=X<4,2,31,1,good
0<=X<200,12,new car,836,<1,4,23,1,bad
0<=X<200,20,used car,6468,unemployed,1,60,1,good
0<=X<200,18,business,1941,1<=X<4,4,35,1,good
no checking,22,radio/tv,2675,>=7,3,40,1,good
no checking,48,used car,2751,>=7,4,38,2,good
0<=X<200,48,education,6224,>=7,4,50,1,bad
<0,40,education,5998,1<=X<4,4,27,1,bad
0<=X<200,21,business,1188,>=7,2,39,1,bad
no checking,24,used car,6313,>=7,3,41,1,good
no checking,6,furniture/equipment,1221,1<=X<4,1,27,2,good
>=200,24,furniture/equipment,2892,>=7,3,51,1,good
no checking,24,furniture/equipment,3062,>=7,4,32,1,good
no checking,9,furniture/equipment,2301,<1,2,22,1,good
<0,18,used car,7511,>=7,1,51,1,bad
no checking,12,furniture/equipment,1258,<1,2,22,2,good
no checking,24,new car,717,>=7,4,54,2,good
0<=X<200,9,new car,1549,<1,4,35,1,good
no checking,24,education,1597,>=7,4,54,2,good
0<=X<200,18,radio/tv,1795,>=7,3,48,2,good
<0,20,furniture/equipment,4272,>=7,1,24,2,good
no checking,12,radio/tv,976,>=7,4,35,2,good
0<=X<200,12,new car,7472,unemployed,1,24,1,good
<0,36,new car,9271,4<=X<7,2,24,1,bad
0<=X<200,6,radio/tv,590,<1,3,26,1,good
no checking,12,radio/tv,930,>=7,4,65,4,good
0<=X<200,42,used car,9283,unemployed,1,55,1,good
0<=X<200,15,new car,1778,<1,2,26,2,bad
0<=X<200,8,business,907,<1,3,26,1,good
0<=X<200,6,radio/tv,484,4<=X<7,3,28,1,good
<0,36,used car,9629,4<=X<7,4,24,2,bad
<0,48,domestic appliance,3051,1<=X<4,3,54,1,bad
<0,48,new car,3931,4<=X<7,4,46,1,bad
0<=X<200,36,new car,7432,1<=X<4,2,54,1,good
no checking,6,domestic appliance,1338,1<=X<4,1,62,1,good
no checking,6,radio/tv,1554,4<=X<7,1,24,2,good
<0,36,other,15857,unemployed,2,43,1,good
<0,18,radio/tv,1345,1<=X<4,4,26,1,bad
no checking,12,new car,1101,1<=X<4,3,27,2,good
>=200,12,radio/tv,3016,1<=X<4,3,24,1,good
<0,36,furniture/equipment,2712,>=7,2,41,1,bad
<0,8,new car,731,>=7,4,47,2,good
no checking,18,furniture/equipment,3780,<1,3,35,2,good
<0,21,new car,1602,>=7,4,30,2,good
<0,18,new car,3966,>=7,1,33,3,bad
no checking,18,business,4165,1<=X<4,2,36,2,bad
<0,36,used car,8335,>=7,3,47,1,bad
0<=X<200,48,business,6681,1<=X<4,4,38,1,good
no checking,24,business,2375,1<=X<4,4,44,2,good
<0,18,new car,1216,<1,4,23,1,bad
<0,45,business,11816,>=7,2,29,2,bad
0<=X<200,24,radio/tv,5084,>=7,2,42,1,good
>=200,15,radio/tv,2327,<1,2,25,1,bad
<0,12,new car,1082,1<=X<4,4,48,2,bad
no checking,12,radio/tv,886,1<=X<4,4,21,1,good
no checking,4,furniture/equipment,601,<1,1,23,1,good
<0,24,used car,2957,>=7,4,63,2,good
no checking,24,radio/tv,2611,>=7,4,46,2,good
<0,36,furniture/equipment,5179,4<=X<7,4,29,1,bad
no checking,21,used car,2993,1<=X<4,3,28,2,good
no checking,18,repairs,1943,<1,4,23,1,bad
no checking,24,business,1559,4<=X<7,4,50,1,good
no checking,18,furniture/equipment,3422,>=7,4,47,3,good
0<=X<200,21,furniture/equipment,3976,4<=X<7,2,35,1,good
no checking,18,new car,6761,1<=X<4,2,68,2,bad
no checking,24,new car,1249,<1,4,28,1,good
<0,9,radio/tv,1364,4<=X<7,3,59,1,good
<0,12,radio/tv,709,>=7,4,57,1,bad
<0,20,new car,2235,1<=X<4,4,33,2,bad
no checking,24,used car,4042,4<=X<7,3,43,2,good
no checking,15,radio/tv,1471,1<=X<4,4,35,2,good
<0,18,new car,1442,4<=X<7,4,32,2,bad
no checking,36,new car,10875,>=7,2,45,2,good
no checking,24,new car,1474,<1,4,33,1,good
no checking,10,retraining,894,4<=X<7,4,40,1,good
no checking,15,furniture/equipment,3343,1<=X<4,4,28,1,good
<0,15,new car,3959,1<=X<4,3,29,1,bad
no checking,9,new car,3577,1<=X<4,1,26,1,good
no checking,24,used car,5804,1<=X<4,4,27,2,good
no checking,18,business,2169,1<=X<4,4,28,1,bad
<0,24,radio/tv,2439,<1,4,35,1,bad
no checking,27,furniture/equipment,4526,<1,4,32,2,good
no checking,10,furniture/equipment,2210,1<=X<4,2,25,1,bad
no checking,15,furniture/equipment,2221,1<=X<4,2,20,1,good
<0,18,radio/tv,2389,<1,4,27,1,good
no checking,12,furniture/equipment,3331,>=7,2,42,1,good
no checking,36,business,7409,>=7,3,37,2,good
<0,12,furniture/equipment,652,>=7,4,24,1,good
no checking,36,furniture/equipment,7678,4<=X<7,2,40,2,good
>=200,6,new car,1343,>=7,1,46,2,good
<0,24,business,1382,4<=X<7,4,26,2,good
no checking,15,domestic appliance,874,<1,4,24,1,good
<0,12,furniture/equipment,3590,1<=X<4,2,29,1,good
0<=X<200,11,new car,1322,1<=X<4,4,40,2,good
<0,18,radio/tv,1940,<1,3,36,1,good
no checking,36,radio/tv,3595,>=7,4,28,1,good
<0,9,new car,1422,<1,3,27,1,bad
no checking,30,radio/tv,6742,4<=X<7,2,36,2,good
no checking,24,used car,7814,4<=X<7,3,38,1,good
no checking,24,used car,9277,1<=X<4,2,48,1,good
0<=X<200,30,new car,2181,>=7,4,36,2,good
no checking,18,radio/tv,1098,unemployed,4,65,2,good
0<=X<200,24,furniture/equipment,4057,4<=X<7,3,43,1,bad
<0,12,education,795,<1,4,53,1,bad
0<=X<200,24,business,2825,4<=X<7,4,34,2,good
0<=X<200,48,business,15672,1<=X<4,2,23,1,bad
no checking,36,new car,6614,>=7,4,34,2,good
no checking,28,used car,7824,<1,3,40,2,good
<0,27,business,2442,>=7,4,43,4,good
no checking,15,radio/tv,1829,>=7,4,46,2,good
<0,12,new car,2171,1<=X<4,4,38,2,good
0<=X<200,36,used car,5800,1<=X<4,3,34,2,good
no checking,18,radio/tv,1169,1<=X<4,4,29,2,good
no checking,36,used car,8947,4<=X<7,3,31,1,good
<0,21,radio/tv,2606,<1,4,28,1,good
no checking,12,furniture/equipment,1592,4<=X<7,3,35,1,good
no checking,15,furniture/equipment,2186,4<=X<7,1,33,1,good
<0,18,furniture/equipment,4153,1<=X<4,2,42,1,bad
<0,16,new car,2625,>=7,2,43,1,bad
no checking,20,new car,3485,<1,2,44,2,good
no checking,36,used car,10477,>=7,2,42,2,good
no checking,15,radio/tv,1386,1<=X<4,4,40,1,good
no checking,24,radio/tv,1278,>=7,4,36,1,good
<0,12,radio/tv,1107,1<=X<4,2,20,1,good
<0,21,new car,3763,4<=X<7,2,24,1,good
0<=X<200,36,education,3711,1<=X<4,2,27,1,good
no checking,15,used car,3594,<1,1,46,2,good
0<=X<200,9,new car,3195,1<=X<4,1,33,1,good
no checking,36,radio/tv,4454,1<=X<4,4,34,2,good
0<=X<200,24,furniture/equipment,4736,<1,2,25,1,bad
0<=X<200,30,radio/tv,2991,>=7,2,25,1,good
no checking,11,business,2142,>=7,1,28,1,good
<0,24,business,3161,1<=X<4,4,31,1,bad
0<=X<200,48,other,18424,1<=X<4,1,32,1,bad
no checking,10,used car,2848,1<=X<4,1,32,1,good
<0,6,new car,14896,>=7,1,68,1,bad
<0,24,furniture/equipment,2359,unemployed,1,33,1,bad
<0,24,furniture/equipment,3345,>=7,4,39,1,bad
no checking,18,furniture/equipment,1817,1<=X<4,4,28,2,good
no checking,48,radio/tv,12749,4<=X<7,4,37,1,good
<0,9,radio/tv,1366,<1,3,22,1,bad
0<=X<200,12,new car,2002,4<=X<7,3,30,1,good
<0,24,furniture/equipment,6872,<1,2,55,1,bad
<0,12,new car,697,<1,4,46,2,bad
<0,18,furniture/equipment,1049,<1,4,21,1,good
<0,48,used car,10297,4<=X<7,4,39,3,bad
no checking,30,radio/tv,1867,>=7,4,58,1,good
<0,12,new car,1344,1<=X<4,4,43,2,good
<0,24,furniture/equipment,1747,<1,4,24,1,good
0<=X<200,9,radio/tv,1670,<1,4,22,1,bad
no checking,9,new car,1224,1<=X<4,3,30,2,good
no checking,12,radio/tv,522,>=7,4,42,2,good
<0,12,radio/tv,1498,1<=X<4,4,23,1,good
0<=X<200,30,radio/tv,1919,<1,4,30,2,bad
>=200,9,radio/tv,745,1<=X<4,3,28,1,bad
0<=X<200,6,radio/tv,2063,<1,4,30,1,good
0<=X<200,60,education,6288,1<=X<4,4,42,1,bad
no checking,24,used car,6842,1<=X<4,2,46,2,good
no checking,12,new car,3527,<1,2,45,1,good
no checking,10,new car,1546,1<=X<4,3,31,1,good
no checking,24,furniture/equipment,929,4<=X<7,4,31,1,good
no checking,4,new car,1455,4<=X<7,2,42,3,good
<0,15,furniture/equipment,1845,<1,4,46,1,good
0<=X<200,48,new car,8358,<1,1,30,2,good
<0,24,furniture/equipment,3349,<1,4,30,1,bad
no checking,12,new car,2859,unemployed,4,38,1,good
no checking,18,furniture/equipment,1533,<1,4,43,1,bad
no checking,24,radio/tv,3621,>=7,2,31,2,bad
0<=X<200,18,business,3590,unemployed,3,40,3,good
<0,36,business,2145,4<=X<7,2,24,2,bad
0<=X<200,24,used car,4113,<1,3,28,1,bad
no checking,36,furniture/equipment,10974,unemployed,4,26,2,bad
<0,12,new car,1893,1<=X<4,4,29,1,good
<0,24,radio/tv,1231,>=7,4,57,2,good
>=200,30,radio/tv,3656,>=7,4,49,2,good
0<=X<200,9,radio/tv,1154,>=7,2,37,3,good
<0,28,new car,4006,1<=X<4,3,45,1,bad
0<=X<200,24,furniture/equipment,3069,>=7,4,30,1,good
no checking,6,radio/tv,1740,>=7,2,30,2,good
0<=X<200,21,new car,2353,1<=X<4,1,47,2,good
no checking,15,new car,3556,1<=X<4,3,29,1,good
no checking,24,radio/tv,2397,>=7,3,35,2,bad
0<=X<200,6,repairs,454,<1,3,22,1,good
0<=X<200,30,radio/tv,1715,1<=X<4,4,26,1,good
0<=X<200,27,radio/tv,2520,1<=X<4,4,23,2,bad
no checking,15,radio/tv,3568,>=7,4,54,1,good
no checking,42,radio/tv,7166,4<=X<7,2,29,1,good
<0,11,new car,3939,1<=X<4,1,40,2,good
0<=X<200,15,repairs,1514,1<=X<4,4,22,1,good
no checking,24,new car,7393,1<=X<4,1,43,1,good
<0,24,new car,1193,unemployed,1,29,2,bad
<0,60,business,7297,>=7,4,36,1,bad
no checking,30,radio/tv,2831,1<=X<4,4,33,1,good
>=200,24,radio/tv,1258,1<=X<4,3,57,1,good
0<=X<200,6,radio/tv,753,1<=X<4,2,64,1,good
0<=X<200,18,business,2427,>=7,4,42,2,good
no checking,24,new car,2538,>=7,4,47,2,bad
0<=X<200,15,new car,1264,1<=X<4,2,25,1,bad
0<=X<200,30,furniture/equipment,8386,4<=X<7,2,49,1,bad
no checking,48,business,4844,unemployed,3,33,1,bad
>=200,21,new car,2923,1<=X<4,1,28,1,good
<0,36,used car,8229,1<=X<4,2,26,1,bad
no checking,24,furniture/equipment,2028,4<=X<7,2,30,2,good
<0,15,furniture/equipment,1433,1<=X<4,4,25,2,good
>=200,42,business,6289,<1,2,33,2,good
no checking,13,radio/tv,1409,unemployed,2,64,1,good
<0,24,used car,6579,unemployed,4,29,1,good
0<=X<200,24,radio/tv,1743,>=7,4,48,2,good
no checking,12,education,3565,<1,2,37,2,good
no checking,15,radio/tv,1569,>=7,4,34,1,good
<0,18,radio/tv,1936,4<=X<7,2,23,2,good
<0,36,furniture/equipment,3959,unemployed,4,30,1,good
no checking,12,new car,2390,>=7,4,50,1,good
no checking,12,furniture/equipment,1736,4<=X<7,3,31,1,good
<0,30,used car,3857,1<=X<4,4,40,1,good
no checking,12,radio/tv,804,>=7,4,38,1,good
<0,45,radio/tv,1845,1<=X<4,4,23,1,bad
0<=X<200,45,used car,4576,unemployed,3,27,1,good
`;
