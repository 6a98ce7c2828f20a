-- Rubric semantics in Spark SQL (Spark 3.5, the Spark of AWS Glue 5.0): docs/sql/rubric.sql
-- rule for rule, as temporary views. The engine, this file and the DuckDB file are tested
-- against each other on every input of tests/test_glue_job.py.
-- Input views: customer_landing, accelerometer_landing, step_trainer_landing (an extra read-order
-- column `rn` on customer_landing is ignored here). Output views: the five derived tables.

-- 1. customer_trusted: customers who agreed to share their data for research.
CREATE OR REPLACE TEMPORARY VIEW customer_trusted AS
SELECT customerName, email, phone, birthDay, serialNumber, registrationDate, lastUpdateDate,
       shareWithResearchAsOfDate, shareWithPublicAsOfDate, shareWithFriendsAsOfDate
FROM customer_landing
WHERE shareWithResearchAsOfDate IS NOT NULL;

-- 2. accelerometer_trusted: readings of trusted customers (inner join: one row per matching pair).
CREATE OR REPLACE TEMPORARY VIEW accelerometer_trusted AS
SELECT a.`user`, a.`timestamp`, a.x, a.y, a.z
FROM accelerometer_landing a
JOIN customer_trusted c ON a.`user` = c.email;

-- 3. customers_curated: distinct trusted customers that have accelerometer data.
CREATE OR REPLACE TEMPORARY VIEW customers_curated AS
SELECT DISTINCT c.*
FROM customer_trusted c
LEFT SEMI JOIN accelerometer_trusted a ON c.email = a.`user`;

-- 4. step_trainer_trusted: step readings of the curated customers' devices.
CREATE OR REPLACE TEMPORARY VIEW step_trainer_trusted AS
SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject
FROM step_trainer_landing s
LEFT SEMI JOIN customers_curated c ON s.serialNumber = c.serialNumber;

-- 5. machine_learning_curated: every step reading paired with every accelerometer reading at
--    the same instant (whoever's reading it is).
CREATE OR REPLACE TEMPORARY VIEW machine_learning_curated AS
SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, a.`user`, a.`timestamp`, a.x, a.y, a.z
FROM step_trainer_trusted s
JOIN accelerometer_trusted a ON s.sensorReadingTime = a.`timestamp`;
