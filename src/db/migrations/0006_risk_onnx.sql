-- Imported ONNX models (src/risk/onnx.ts): a third model kind. The body holds the model
-- file in base64 (at most 8 MiB decoded) with the context keys it reads.
ALTER TABLE risk_models DROP CONSTRAINT risk_models_kind_check;
ALTER TABLE risk_models ADD CONSTRAINT risk_models_kind_check CHECK (kind IN ('scorecard', 'xgboost', 'onnx'));
