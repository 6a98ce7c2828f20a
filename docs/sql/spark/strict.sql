-- Strict semantics in Spark SQL (Spark 3.5, the Spark of AWS Glue 5.0): docs/sql/strict.sql
-- rule for rule, in Spark's dialect (temporary views; columns listed where DuckDB writes
-- `* EXCLUDE`; EXISTS in a projection written as a join). The engine, this file and the DuckDB
-- file are tested against each other on every input of tests/test_glue_job.py.
-- Input views: customer_landing (with `rn`, its read order), accelerometer_landing,
-- step_trainer_landing. Output views: the five derived tables (plus helpers prefixed `_`).

-- 1. One customer per email: greatest lastUpdateDate, then greatest registrationDate, then the
--    last row read (a missing date sorts below any date).
CREATE OR REPLACE TEMPORARY VIEW _customer_latest AS
SELECT customerName, email, phone, birthDay, serialNumber, registrationDate, lastUpdateDate,
       shareWithResearchAsOfDate, shareWithPublicAsOfDate, shareWithFriendsAsOfDate
FROM (
    SELECT *, row_number() OVER (
        PARTITION BY email
        ORDER BY lastUpdateDate DESC NULLS LAST, registrationDate DESC NULLS LAST, rn DESC) AS rk
    FROM customer_landing)
WHERE rk = 1;

-- 1b. Consent is a plausible millisecond date (at least 10^11 ms; rule `consent_not_a_date`).
CREATE OR REPLACE TEMPORARY VIEW customer_trusted AS
SELECT * FROM _customer_latest WHERE shareWithResearchAsOfDate >= 100000000000;

-- 2. Exact-duplicate readings count once.
CREATE OR REPLACE TEMPORARY VIEW _accelerometer_distinct AS
SELECT DISTINCT `user`, `timestamp`, x, y, z FROM accelerometer_landing;
CREATE OR REPLACE TEMPORARY VIEW _step_trainer_distinct AS
SELECT DISTINCT sensorReadingTime, serialNumber, distanceFromObject FROM step_trainer_landing;

-- 3. Readings of trusted customers taken at or after their research consent.
CREATE OR REPLACE TEMPORARY VIEW accelerometer_trusted AS
SELECT a.`user`, a.`timestamp`, a.x, a.y, a.z
FROM _accelerometer_distinct a
JOIN customer_trusted c ON a.`user` = c.email
WHERE a.`timestamp` >= c.shareWithResearchAsOfDate;

-- 4. Trusted customers with at least one trusted reading.
CREATE OR REPLACE TEMPORARY VIEW customers_curated AS
SELECT c.* FROM customer_trusted c
LEFT SEMI JOIN accelerometer_trusted a ON a.`user` = c.email;

-- 5. Device ownership: the one de-duplicated customer with the serial; among several, the one
--    with a landing accelerometer reading at exactly sensorReadingTime, if exactly one has.
--    A customer without a serial (or with an empty one) holds no device.
CREATE OR REPLACE TEMPORARY VIEW _step_owner AS
WITH candidates AS (
    SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, c.email,
           r.`user` IS NOT NULL AS has_reading
    FROM _step_trainer_distinct s
    JOIN _customer_latest c ON c.serialNumber = s.serialNumber AND c.serialNumber <> ''
    LEFT JOIN (SELECT DISTINCT `user`, `timestamp` FROM accelerometer_landing) r
        ON r.`user` = c.email AND r.`timestamp` = s.sensorReadingTime
)
SELECT sensorReadingTime, serialNumber, distanceFromObject,
       CASE WHEN count(*) = 1 THEN first(email)
            WHEN count(*) FILTER (WHERE has_reading) = 1 THEN first(email) FILTER (WHERE has_reading)
       END AS owner
FROM candidates
GROUP BY sensorReadingTime, serialNumber, distanceFromObject;

-- 6. Readings whose owner is curated, at or after the owner's research consent.
CREATE OR REPLACE TEMPORARY VIEW _step_trainer_owned AS
SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, s.owner
FROM _step_owner s
JOIN customers_curated c ON c.email = s.owner
WHERE s.sensorReadingTime >= c.shareWithResearchAsOfDate;

CREATE OR REPLACE TEMPORARY VIEW step_trainer_trusted AS
SELECT sensorReadingTime, serialNumber, distanceFromObject FROM _step_trainer_owned;

-- 7. The owner's own readings at the same instant; no email, no serialNumber: an opaque
--    deviceId 1..n, devices ordered by their earliest sensorReadingTime in this table, then by
--    serialNumber (byte order: Spark compares strings as UTF-8 bytes).
CREATE OR REPLACE TEMPORARY VIEW _ml_pairs AS
SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, a.`timestamp`, a.x, a.y, a.z
FROM _step_trainer_owned s
JOIN accelerometer_trusted a ON a.`user` = s.owner AND a.`timestamp` = s.sensorReadingTime;

CREATE OR REPLACE TEMPORARY VIEW machine_learning_curated AS
SELECT sensorReadingTime,
       dense_rank() OVER (ORDER BY first_time, serialNumber) AS deviceId,
       distanceFromObject, `timestamp`, x, y, z
FROM (SELECT *, min(sensorReadingTime) OVER (PARTITION BY serialNumber) AS first_time FROM _ml_pairs);
