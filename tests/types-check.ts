// Every binding of the `stedi-lake` package used as a TypeScript user would, with the types its
// declarations (pkg/stedi_lake.d.ts) document. Never run: tests/package.test.mjs type-checks it with
// `tsc --noEmit --strict` against the built package installed as `stedi-lake` (bundler and Node
// module resolution). Each `@ts-expect-error` line must fail to type-check, or tsc fails.
import init, { initSync, Lake } from 'stedi-lake';
import type {
  AccelerometerRow, CustomerRow, CustomerSeries, FileReport, FileSelection, Flow, MachineLearningRubricRow,
  MachineLearningStrictRow, Manifest, Mode, OutputTarget, QualityReport, Reason, Row, Sniff, Source, StepTrainerRow,
  Summary, TableName,
} from 'stedi-lake';

declare const wasmBytes: Uint8Array;
declare const fileBytes: Uint8Array;
declare const someTable: TableName;

/** In a bundler: the module is fetched from beside the JS. */
export async function inBundler(): Promise<void> {
  await init();
}

/** In Node: the module's bytes. */
export function inNode(): void {
  initSync({ module: wasmBytes });
}

export function everyBinding(mode: Mode): number {
  const lake = new Lake();

  // Files: whole, or in chunks; the source is optional.
  const report: FileReport = lake.addFile('landing/customer/c.json', fileBytes);
  const forced: FileReport = lake.addFile('c.json', fileBytes, 'customer');
  lake.addFile('c.json', fileBytes, null);
  lake.addFile('c.json', fileBytes, undefined);
  // @ts-expect-error: not a source
  lake.addFile('c.json', fileBytes, 'customers');
  const source: Source | null = report.source;
  const routedBy: 'given' | 'path' | 'keys' | 'none' = forced.routed_by;
  const balanced: boolean = report.coverage.text_bytes
    === report.coverage.kept_bytes + report.coverage.quarantined_bytes + report.coverage.framing_bytes;
  lake.openFile('landing/accelerometer/a.json');
  lake.openFile('a.json', 'accelerometer');
  lake.feed(fileBytes);
  const closed: FileReport = lake.closeFile();
  const rejected: string | null = closed.error;
  const encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'binary' = closed.encoding;

  // Decode workers hand their share over as bytes.
  const share: Uint8Array = new Lake().exportIngest();
  lake.appendExported(share);

  // The run and its reports.
  const summary: Summary = lake.run(mode);
  lake.run('rubric', 's3://bucket/prefix');
  lake.run('strict', undefined, 'stedi');
  lake.run('strict', null, null);
  // @ts-expect-error: not a mode
  lake.run('fast');
  const curated: number = summary.tables.machine_learning_curated.rows;
  // @ts-expect-error: not a table
  void summary.tables.machine_learning;
  const parquetPath: string = summary.tables.customer_trusted.paths.parquet;
  const malformed: number | undefined = summary.sources.step_trainer.quarantined.malformed_json;
  // @ts-expect-error: not a reason
  void summary.sources.customer.quarantined.malformed;
  const flows: Flow[] = summary.rules;
  const removed: number = flows.flatMap((f) => f.rules).reduce((n, r) => n + r.removed - r.added, 0);
  const fromTable: TableName = flows[0].from;
  const accounted: boolean = summary.covered && summary.accounted && summary.mode === mode;
  const skipped: string[] = summary.skipped.map((s) => `${s.name}: ${s.reason}`);
  const files: number = summary.files.filter((f) => f.coverage.framing_bytes > 0).length;
  const again: Summary = lake.summary();

  const quality: QualityReport = lake.quality();
  const reason: Reason = quality.quarantined.records[0].reason;
  const unrouted: number = quality.quarantined.by_source.unrouted?.unrouted ?? 0;
  const [from, to]: [number, number] = quality.plausible_epoch_range_ms;
  const seconds: number = quality.epochs_in_seconds.customer + quality.epochs_in_seconds.step_trainer;
  const consent: (number | null)[] = quality.duplicate_emails.list[0].research_consent_values;
  const drift: string[] = quality.schema_drift.map((d) => `${d.source}.${d.key} ×${d.count} ${d.first_file}:${d.first_line}`);

  // Outputs.
  const paths: string[] = Lake.outputPaths();
  const contentType: string = Lake.contentType(paths[0]);
  const parquet: Uint8Array = lake.output(parquetPath);

  // Rows, typed by the table.
  const customers: CustomerRow[] = lake.rows('customer_trusted', 0, 10);
  const email: string = customers[0].email;
  const consentDate: number | null = customers[0].shareWithResearchAsOfDate;
  const readings: AccelerometerRow[] = lake.rows('accelerometer_landing', 0, 10);
  const x: number | null = readings[0].x;
  const steps: StepTrainerRow[] = lake.rows('step_trainer_trusted', 10, 10);
  const ml: (MachineLearningStrictRow | MachineLearningRubricRow)[] = lake.rows('machine_learning_curated', 0, 10);
  const device: number | string = 'deviceId' in ml[0] ? ml[0].deviceId : ml[0].serialNumber;
  const any: Row[] = lake.rows(someTable, 0, 1);
  // @ts-expect-error: rows of another table
  const wrong: CustomerRow[] = lake.rows('step_trainer_trusted', 0, 1);
  // @ts-expect-error: not a table
  lake.rows('customers', 0, 1);

  // Listing before a run.
  const sniffed: Sniff = Lake.sniff('a.json', fileBytes);
  const by: 'path' | 'keys' | 'none' = sniffed.by;
  const selection: FileSelection[] = Lake.selectFiles(['landing/customer/c.json', 'landing/.DS_Store']);
  const take: string[] = selection.filter((s) => s.skip === null).map((s) => s.path);
  const why: string | undefined = selection[1].skip?.kind;
  // @ts-expect-error: an array of paths, not its JSON
  Lake.selectFiles(JSON.stringify(['a']));

  // The chart.
  const emails: string[] = lake.curatedEmails();
  const series: CustomerSeries = lake.customerSeries(emails[0]);
  const [t, ax, ay, az]: [number, number | null, number | null, number | null] = series.accelerometer[0];
  const [st, distance]: [number, number | null] = series.step_trainer[0];
  const memory: number = Lake.memoryBytes();

  // S3.
  const manifest: Manifest = Lake.parseManifest('{"format": "stedi-lake-manifest"}');
  const target: OutputTarget = manifest.outputs[0];
  const parts: number = Lake.uploadPlan(target, parquet.length) + (target.multipart?.parts.length ?? 0);
  const stale: string[] = (target.stale ?? []).map((o) => o.key);
  const landingSource: Source | null = manifest.landing[0].source;
  // @ts-expect-error: the object, not its JSON
  Lake.uploadPlan(JSON.stringify(target), 1);
  const shown: string = Lake.redactText('https://bucket.s3.amazonaws.com/k?X-Amz-Signature=secret');

  lake.free();
  void [source, routedBy, balanced, rejected, encoding, curated, malformed, removed, fromTable, accounted, skipped,
    files, again, reason, unrouted, from, to, seconds, consent, drift, contentType, email, consentDate, x, steps,
    device, any, wrong, by, take, why, t, ax, ay, az, st, distance, memory, stale, landingSource, shown];
  return parts;
}
