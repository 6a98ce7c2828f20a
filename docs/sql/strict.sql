-- Strict semantics (the default): what privacy and the known data-quality problems demand.
-- Input: customer_landing (with `rn`, its read order), accelerometer_landing, step_trainer_landing.
-- Output: the five derived tables (plus helper tables prefixed `_`).
-- Executable spec: tests/test_differential.py runs this file in DuckDB and compares the result
-- with the engine's Parquet, table by table. docs/semantics.md explains each rule.

-- 1. One customer per email: greatest lastUpdateDate, then greatest registrationDate, then the
--    last row read (a missing date sorts below any date).
CREATE OR REPLACE TABLE _customer_latest AS
SELECT * EXCLUDE (rk, rn) FROM (
    SELECT *, row_number() OVER (
        PARTITION BY email
        ORDER BY lastUpdateDate DESC NULLS LAST, registrationDate DESC NULLS LAST, rn DESC) AS rk
    FROM customer_landing)
WHERE rk = 1;

-- 1b. Consent is a plausible millisecond date: a value of 0 or below, or below 10^11 (1973-03-03
--     in ms; an epoch in seconds such as 1655564005 lies there), is not consent
--     (rule `consent_not_a_date`; rubric keeps IS NOT NULL).
CREATE OR REPLACE TABLE customer_trusted AS
SELECT * FROM _customer_latest WHERE shareWithResearchAsOfDate >= 100000000000;

-- 2. Exact-duplicate readings count once.
CREATE OR REPLACE TABLE _accelerometer_distinct AS
SELECT DISTINCT user, timestamp, x, y, z FROM accelerometer_landing;
CREATE OR REPLACE TABLE _step_trainer_distinct AS
SELECT DISTINCT sensorReadingTime, serialNumber, distanceFromObject FROM step_trainer_landing;

-- 3. Readings of trusted customers taken at or after their research consent.
CREATE OR REPLACE TABLE accelerometer_trusted AS
SELECT a.user, a.timestamp, a.x, a.y, a.z
FROM _accelerometer_distinct a
JOIN customer_trusted c ON a.user = c.email
WHERE a.timestamp >= c.shareWithResearchAsOfDate;

-- 4. Trusted customers with at least one trusted reading.
CREATE OR REPLACE TABLE customers_curated AS
SELECT c.* FROM customer_trusted c
WHERE EXISTS (SELECT 1 FROM accelerometer_trusted a WHERE a.user = c.email);

-- 5. Device ownership: the one de-duplicated customer with the serial; among several, the one
--    with a landing accelerometer reading at exactly sensorReadingTime, if exactly one has.
--    A customer without a serial (or with an empty one) holds no device.
CREATE OR REPLACE TABLE _step_owner AS
WITH candidates AS (
    SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, c.email,
           EXISTS (SELECT 1 FROM accelerometer_landing a
                   WHERE a.user = c.email AND a.timestamp = s.sensorReadingTime) AS has_reading
    FROM _step_trainer_distinct s
    JOIN _customer_latest c ON c.serialNumber = s.serialNumber AND c.serialNumber <> ''
)
SELECT sensorReadingTime, serialNumber, distanceFromObject,
       CASE WHEN count(*) = 1 THEN any_value(email)
            WHEN count(*) FILTER (WHERE has_reading) = 1 THEN any_value(email) FILTER (WHERE has_reading)
       END AS owner
FROM candidates
GROUP BY sensorReadingTime, serialNumber, distanceFromObject;

-- 6. Readings whose owner is curated, at or after the owner's research consent.
CREATE OR REPLACE TABLE _step_trainer_owned AS
SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, s.owner
FROM _step_owner s
JOIN customers_curated c ON c.email = s.owner
WHERE s.sensorReadingTime >= c.shareWithResearchAsOfDate;

CREATE OR REPLACE TABLE step_trainer_trusted AS
SELECT sensorReadingTime, serialNumber, distanceFromObject FROM _step_trainer_owned;

-- 7. The owner's own readings at the same instant; no email or other personal data, and no
--    serialNumber (customer_trusted has it: one join would name the person). The device is an
--    opaque deviceId: 1..n, devices ordered by their earliest sensorReadingTime in this table,
--    then by serialNumber (byte order).
CREATE OR REPLACE TABLE _ml_pairs AS
SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, a.timestamp, a.x, a.y, a.z
FROM _step_trainer_owned s
JOIN accelerometer_trusted a ON a.user = s.owner AND a.timestamp = s.sensorReadingTime;

CREATE OR REPLACE TABLE machine_learning_curated AS
SELECT sensorReadingTime,
       dense_rank() OVER (ORDER BY first_time, serialNumber) AS deviceId,
       distanceFromObject, timestamp, x, y, z
FROM (SELECT *, min(sensorReadingTime) OVER (PARTITION BY serialNumber) AS first_time FROM _ml_pairs);
