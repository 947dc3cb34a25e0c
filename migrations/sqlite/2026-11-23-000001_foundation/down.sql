DROP TABLE login_failures;
DROP TABLE memberships;
DROP TABLE stores;
DROP TABLE users;
DROP TABLE app_settings;
