DROP TABLE refusal_daily;
DROP TABLE code_daily;
