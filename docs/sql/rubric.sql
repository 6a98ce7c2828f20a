-- Rubric semantics: the reference AWS Glue/Athena jobs, row for row.
-- Input: customer_landing, accelerometer_landing, step_trainer_landing (landing columns; an extra
-- read-order column `rn` on customer_landing is ignored here). Output: the five derived tables.
-- Executable spec: tests/test_differential.py runs this file in DuckDB and compares the result
-- with the engine's Parquet, table by table.

-- 1. customer_trusted: customers who agreed to share their data for research.
CREATE OR REPLACE TABLE customer_trusted AS
SELECT customerName, email, phone, birthDay, serialNumber, registrationDate, lastUpdateDate,
       shareWithResearchAsOfDate, shareWithPublicAsOfDate, shareWithFriendsAsOfDate
FROM customer_landing
WHERE shareWithResearchAsOfDate IS NOT NULL;

-- 2. accelerometer_trusted: readings of trusted customers (inner join: one row per matching pair).
CREATE OR REPLACE TABLE accelerometer_trusted AS
SELECT a.user, a.timestamp, a.x, a.y, a.z
FROM accelerometer_landing a
JOIN customer_trusted c ON a.user = c.email;

-- 3. customers_curated: distinct trusted customers that have accelerometer data.
CREATE OR REPLACE TABLE customers_curated AS
SELECT DISTINCT c.*
FROM customer_trusted c
WHERE c.email IN (SELECT user FROM accelerometer_trusted);

-- 4. step_trainer_trusted: step readings of the curated customers' devices.
CREATE OR REPLACE TABLE step_trainer_trusted AS
SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject
FROM step_trainer_landing s
WHERE s.serialNumber IN (SELECT serialNumber FROM customers_curated);

-- 5. machine_learning_curated: every step reading paired with every accelerometer reading at
--    the same instant (whoever's reading it is).
CREATE OR REPLACE TABLE machine_learning_curated AS
SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, a.user, a.timestamp, a.x, a.y, a.z
FROM step_trainer_trusted s
JOIN accelerometer_trusted a ON s.sensorReadingTime = a.timestamp;
