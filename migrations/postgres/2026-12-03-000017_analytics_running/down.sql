DROP TABLE code_totals;
DROP TABLE code_running;
