/** The run report: the ReportData format (result.json), report.html and the terminal summary. */
export { renderReport } from './html.js';
export { parseReportData, reportDataSchema } from './schema.js';
export { renderTextSummary } from './text.js';
export {
  REPORT_FORMAT,
  type ReportAssertion,
  type ReportData,
  type ReportEvent,
  type ReportFault,
  type ReportLoad,
  type ReportMonitor,
  type ReportPhase,
  type ReportVerdict,
  type ReportWindow,
} from './types.js';
export { readResult, type WrittenReport, writeReport } from './write.js';
