// Settings of the platform. `eisal serve` reads flags > environment (EISAL_*) > defaults.

import EisalCore
import EisalStore
import Logging

/// Everything `buildApplication(configuration:)` needs. Every default makes `eisal serve`
/// useful with no configuration at all.
public struct PlatformConfiguration: Sendable {
    /// Address to listen on. Default `127.0.0.1`. (`EISAL_HOST`)
    public var host: String
    /// Port to listen on. Default 8080; 0 picks a free port. (`EISAL_PORT`)
    public var port: Int
    /// Log level. Default `info`. (`EISAL_LOG_LEVEL`)
    public var logLevel: Logger.Level
    /// The storage backend. Default a SQLite file `./eisal-data/eisal.sqlite` with durability
    /// `full` (every commit synced). (`EISAL_DATABASE`, `EISAL_DURABILITY`)
    public var store: StoreConfiguration
    /// Create the demo taxpayer, ERP client and POS when the registry is empty. Default true.
    public var seedDemoData: Bool
    /// Token lifetime in seconds. Default 3600 (ETA: 60 minutes).
    public var tokenLifetime: Int64
    /// Duplicate-submission window in seconds. Default 600 (ETA: 10 minutes).
    public var duplicateWindow: Int64
    /// Largest accepted submission body in bytes. Default 1,572,864 (1.5 MB).
    public var maximumSubmissionBytes: Int
    /// Most receipts in one submission. Default 500.
    public var maximumReceiptsPerSubmission: Int
    /// Also write `submissionId` beside `submissionUUID` in the 202 body (some clients read it). Default true.
    public var emitSubmissionIdAlias: Bool
    /// Report a submission with valid and invalid receipts as `PartiallyValid` instead of `Invalid`. Default false.
    public var emitPartiallyValid: Bool
    /// Number of processing workers. Default 16: a worker is a task, not a thread, and spends
    /// most of a job waiting for the store's single writer, so several overlap those waits (the
    /// CPU work still runs on one thread per core). 0 runs no validation (intake-only nodes).
    public var processingWorkers: Int
    /// Job lease in seconds, renewed every third of it while the job runs; a dead node's jobs are
    /// taken over by another node once it runs out. Default 15. (A restarted node takes its own
    /// leases back at once.)
    public var jobLeaseSeconds: Int64
    /// This node's id for job leases; nil acquires `{host}-{n}` by locking a file beside the
    /// database (``NodeIdentity``). (`EISAL_NODE_ID`)
    public var nodeID: String? = nil
    /// How long a receipt whose verdict depends on an earlier receipt still awaiting its own (a
    /// return's sale, an earlier receipt with the same number) waits for it, counted from
    /// reception. Past it, a pending sale counts as not valid and a pending number as taken. Default 600.
    public var dependencyWaitSeconds: Int64 = 600
    /// Idle poll interval of the workers in milliseconds. Default 50.
    public var workerPollMilliseconds: Int
    /// Memory for handing accepted submissions to this node's workers without reading them back
    /// from the store, in megabytes. Default 128; 0 turns the handoff off.
    public var handoffMegabytes: Int
    /// Artificial delay per receipt during full validation, in milliseconds (fault tests). Default 0.
    public var processingDelayMilliseconds: Int
    /// Validation: submission window in seconds (nil = off). Default 86,400.
    public var submissionWindow: Int64?
    /// Validation: rounding tolerance per equation. Default 0.5.
    public var roundingTolerance: String
    /// How old an invoice document's `dateTimeIssued` may be at reception, in seconds; nil turns
    /// the check off. Default 7 days: a placeholder, as ETA sets it as a workflow parameter of
    /// the document type (spec/documents-api.md). (`documents.submission.window.hours`)
    public var documentSubmissionWindow: Int64? = 7 * 86_400
    /// The cancel/reject windows of invoice documents (workflow parameters; placeholders).
    public var documentWorkflow = DocumentWorkflow()
    /// Search Documents: the longest date range of a first call, in days. Default 30 (the SDK's
    /// "currently 30"). (`documents.search.span.days`)
    public var documentSearchSpanDays: Int64 = 30
    /// Get Recent Documents: how many days back it lists. Default 31 (a placeholder).
    /// (`documents.recent.days`)
    public var recentDocumentsDays: Int64 = 31
    /// Seconds a connection may stay silent (between requests or mid-body) before it is closed. Default 60.
    public var idleTimeoutSeconds: Int64
    /// Seconds a request head may take to arrive, from its first byte (a client trickling bytes
    /// is not silent, so the idle timeout alone would never close it). Default 30.
    public var requestHeadTimeoutSeconds: Int64 = 30
    /// Seconds a request body may take to arrive, from the end of its head (1.5 MB at 64 kbit/s
    /// takes about 190 s). Default 300.
    public var requestBodyTimeoutSeconds: Int64 = 300
    /// Per-API throttling (spec/common.md stand-in). Default ``RateLimits/standard``;
    /// ``RateLimits/off`` turns it off. (`EISAL_RATE_LIMITS`)
    public var rateLimits: RateLimits
    /// POS login headers: ``POSLoginPolicy/lenient`` (default: `posserial` required, the other
    /// three recorded but not compared) or ``POSLoginPolicy/strict``. (`EISAL_POS_LOGIN`)
    public var posLoginPolicy: POSLoginPolicy = .lenient
    /// HTTPS: the server's certificate and key; nil serves plain HTTP. (`--tls-cert`/`--tls-key`,
    /// or `--tls-self-signed` for a certificate from the sandbox CA)
    public var tls: TLSSettings? = nil
    /// Callbacks and notification delivery: mode, timeouts, batching, retries (`mode`,
    /// `callback.ca`, `notify.*`).
    public var notifications = NotificationSettings()
    /// Document signatures: trust anchors and the sandbox signing CA (`signature.*`).
    public var signatures = SignatureSettings()
    /// Admin API key (`X-Admin-Key`); generated and printed at start when nil.
    public var adminKey: String?
    /// The clock, injectable for tests (seconds since the epoch).
    public var clock: PlatformClock

    public init(
        host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info,
        store: StoreConfiguration = .sqlite(path: "./eisal-data/eisal.sqlite"), seedDemoData: Bool = true,
        tokenLifetime: Int64 = 3600, duplicateWindow: Int64 = 600, maximumSubmissionBytes: Int = 1_572_864,
        maximumReceiptsPerSubmission: Int = 500, emitSubmissionIdAlias: Bool = true, emitPartiallyValid: Bool = false,
        processingWorkers: Int = 16, jobLeaseSeconds: Int64 = 15, workerPollMilliseconds: Int = 50,
        handoffMegabytes: Int = 128, processingDelayMilliseconds: Int = 0, submissionWindow: Int64? = 86_400, roundingTolerance: String = "0.5",
        idleTimeoutSeconds: Int64 = 60, rateLimits: RateLimits = .standard, adminKey: String? = nil, clock: PlatformClock = .system
    ) {
        self.host = host
        self.port = port
        self.logLevel = logLevel
        self.store = store
        self.seedDemoData = seedDemoData
        self.tokenLifetime = tokenLifetime
        self.duplicateWindow = duplicateWindow
        self.maximumSubmissionBytes = maximumSubmissionBytes
        self.maximumReceiptsPerSubmission = maximumReceiptsPerSubmission
        self.emitSubmissionIdAlias = emitSubmissionIdAlias
        self.emitPartiallyValid = emitPartiallyValid
        self.processingWorkers = processingWorkers
        self.jobLeaseSeconds = jobLeaseSeconds
        self.workerPollMilliseconds = workerPollMilliseconds
        self.handoffMegabytes = handoffMegabytes
        self.processingDelayMilliseconds = processingDelayMilliseconds
        self.submissionWindow = submissionWindow
        self.roundingTolerance = roundingTolerance
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.rateLimits = rateLimits
        self.adminKey = adminKey
        self.clock = clock
    }
}
