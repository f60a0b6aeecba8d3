// Every setting of the platform read with swift-configuration, so `eisal serve` takes them from
// flags > `EISAL_*` environment variables > a JSON config file (`--config FILE`) > the defaults
// documented on ``PlatformConfiguration``. A key `a.b` is `{"a": {"b": …}}` (or `"a.b"`) in the
// file and `EISAL_A_B` in the environment. docs/platform.md "Configuration" lists them all.

import Configuration
import EisalStore
import Logging

extension PlatformConfiguration {
    /// The settings' keys, each with what it sets (the `--help` and docs table).
    public static let keys: [(key: String, meaning: String)] = [
        ("host", "address to listen on (127.0.0.1)"),
        ("port", "port to listen on, 0 picks a free one (8080)"),
        ("log.level", "trace, debug, info, notice, warning, error, critical (info)"),
        ("database", "SQLite file (./eisal-data/eisal.sqlite), or a PostgreSQL URL postgres://user:password@host:port/db[?sslmode=disable|prefer|require&pool=N] shared by several nodes"),
        ("data", "with PostgreSQL: this node's folder for local files (TLS, signing CA, node locks, callback.key) (./eisal-data)"),
        ("database.pool", "with PostgreSQL: the most connections this node opens (16)"),
        ("durability", "full: every commit synced; normal: survives a killed process (full)"),
        ("database.busy.timeout.ms", "how long a write waits for the SQLite file's lock before 503 (10000)"),
        ("workers", "validation workers of this node; 0 runs none (16)"),
        ("job.lease", "job lease in seconds, renewed while a job runs (15)"),
        ("node.id", "this node's id for job leases ({host}-{n} from a lock file)"),
        ("dependency.wait", "seconds a receipt waits for an earlier receipt's pending verdict (600)"),
        ("worker.poll.ms", "an idle worker pool looks for other nodes' jobs this often (50)"),
        ("handoff.mb", "memory handing accepted submissions to this node's workers, 0 = off (128)"),
        ("processing.delay.ms", "artificial delay per receipt in validation, for fault tests (0)"),
        ("submission.window.hours", "how old dateTimeIssued may be, 0 = off (24)"),
        ("rounding.tolerance", "allowed difference per calculation equation (0.5)"),
        ("token.lifetime", "access token lifetime in seconds (3600)"),
        ("duplicate.window", "seconds within which an identical payload is a DuplicateSubmission (600)"),
        ("maximum.submission.bytes", "largest submission body (1572864)"),
        ("maximum.receipts", "most receipts in one submission (500)"),
        ("submission.id.alias", "also write submissionId in the 202 (true)"),
        ("partially.valid", "report mixed submissions as PartiallyValid (false)"),
        ("idle.timeout", "seconds of silence that close a connection (60)"),
        ("request.head.timeout", "seconds a request head may take from its first byte (30)"),
        ("request.body.timeout", "seconds a request body may take from its head (300)"),
        ("rate.limits", "off, or changes to the standard limits: api=N/W,… (standard)"),
        ("pos.login", "lenient or strict (lenient)"),
        ("tls.cert", "HTTPS: the server certificate chain, PEM (with tls.key)"),
        ("tls.key", "HTTPS: the server private key, PEM"),
        ("tls.self.signed", "HTTPS with a certificate from the sandbox CA in {data}/tls (false)"),
        ("tls.hosts", "host names of the sandbox certificate, comma-separated (localhost, loopback, ETA's pre-production hosts)"),
        ("mode", "sandbox (http callbacks to loopback/private hosts allowed) or production (https only, no inner addresses) (sandbox)"),
        ("callback.ca", "a PEM file of extra CA certificates trusted for callbacks"),
        ("signature.ca", "PEM files or folders of CA certificates trusted for document signatures, comma-separated (none)"),
        ("signature.sandbox.ca", "create and trust the sandbox signing CA in {data}/signing, with a seal per demo taxpayer (true in sandbox mode, false in production)"),
        ("notify.batch.size", "most notifications in one delivery (100)"),
        ("notify.batch.wait.ms", "how long a batch may wait to fill, from its oldest notification (100)"),
        ("notify.workers", "notification dispatch workers of this node; 0 runs none (8)"),
        ("notify.connect.timeout.ms", "connecting to a callback (5000)"),
        ("notify.timeout.ms", "a whole callback request (10000)"),
        ("notify.retry.initial.ms", "the first retry's delay, doubled each time, ±20 % jitter (1000)"),
        ("notify.retry.max.ms", "the longest retry delay (300000)"),
        ("notify.retry.attempts", "attempts before a delivery fails; 25 span about 84 minutes (25)"),
        ("notify.key", "Base64 of 32 bytes sealing callbacks' API keys; shared by every node ({data}/callback.key)"),
        ("admin.key", "the admin API key (generated once and kept in the database)"),
        ("demo", "create the demo taxpayer, ERP client and POS on an empty registry (true)"),
    ]

    /// Reads every setting from `reader`; a key it lacks keeps its default.
    public init(reader: ConfigReader) throws {
        self.init()
        host = reader.string(forKey: "host", default: host)
        port = reader.int(forKey: "port", default: port)
        let level = reader.string(forKey: "log.level", default: logLevel.rawValue)
        guard let parsedLevel = Logger.Level(rawValue: level) else { throw ConfigurationError("log.level must be one of trace, debug, info, notice, warning, error, critical; not '\(level)'.") }
        logLevel = parsedLevel
        let durabilityText = reader.string(forKey: "durability", default: Durability.full.rawValue)
        guard let durability = Durability(rawValue: durabilityText) else { throw ConfigurationError("durability must be full or normal, not '\(durabilityText)'.") }
        let poolSize = reader.int(forKey: "database.pool")
        if let poolSize, !(1 ... 1_000).contains(poolSize) { throw ConfigurationError("database.pool must be from 1 to 1000, not \(poolSize).") }
        do {
            store = try StoreConfiguration.parse(reader.string(forKey: "database", isSecret: true, default: "./eisal-data/eisal.sqlite"), durability: durability,
                                                 busyTimeout: .milliseconds(reader.int(forKey: "database.busy.timeout.ms", default: 10_000)),
                                                 dataDirectory: reader.string(forKey: "data", default: "./eisal-data"), poolSize: poolSize)
        } catch {
            throw ConfigurationError("\(error)")
        }
        processingWorkers = reader.int(forKey: "workers", default: processingWorkers)
        jobLeaseSeconds = Int64(reader.int(forKey: "job.lease", default: Int(jobLeaseSeconds)))
        nodeID = reader.string(forKey: "node.id") ?? nodeID
        dependencyWaitSeconds = Int64(reader.int(forKey: "dependency.wait", default: Int(dependencyWaitSeconds)))
        workerPollMilliseconds = reader.int(forKey: "worker.poll.ms", default: workerPollMilliseconds)
        handoffMegabytes = reader.int(forKey: "handoff.mb", default: handoffMegabytes)
        processingDelayMilliseconds = reader.int(forKey: "processing.delay.ms", default: processingDelayMilliseconds)
        let windowHours = reader.int(forKey: "submission.window.hours", default: Int((submissionWindow ?? 0) / 3600))
        submissionWindow = windowHours > 0 ? Int64(windowHours) * 3600 : nil
        roundingTolerance = reader.string(forKey: "rounding.tolerance", default: roundingTolerance)
        let documentWindowHours = reader.int(forKey: "documents.submission.window.hours", default: Int((documentSubmissionWindow ?? 0) / 3600))
        documentSubmissionWindow = documentWindowHours > 0 ? Int64(documentWindowHours) * 3600 : nil
        documentSearchSpanDays = Int64(reader.int(forKey: "documents.search.span.days", default: Int(documentSearchSpanDays)))
        recentDocumentsDays = Int64(reader.int(forKey: "documents.recent.days", default: Int(recentDocumentsDays)))
        documentWorkflow.cancellationWindow = Int64(reader.int(forKey: "documents.cancel.window.hours", default: Int(documentWorkflow.cancellationWindow / 3600))) * 3600
        documentWorkflow.rejectionWindow = Int64(reader.int(forKey: "documents.reject.window.hours", default: Int(documentWorkflow.rejectionWindow / 3600))) * 3600
        documentWorkflow.declineCancellationWindow = Int64(reader.int(forKey: "documents.decline.cancel.window.hours", default: Int(documentWorkflow.declineCancellationWindow / 3600))) * 3600
        documentWorkflow.declineRejectionWindow = Int64(reader.int(forKey: "documents.decline.reject.window.hours", default: Int(documentWorkflow.declineRejectionWindow / 3600))) * 3600
        tokenLifetime = Int64(reader.int(forKey: "token.lifetime", default: Int(tokenLifetime)))
        duplicateWindow = Int64(reader.int(forKey: "duplicate.window", default: Int(duplicateWindow)))
        maximumSubmissionBytes = reader.int(forKey: "maximum.submission.bytes", default: maximumSubmissionBytes)
        maximumReceiptsPerSubmission = reader.int(forKey: "maximum.receipts", default: maximumReceiptsPerSubmission)
        emitSubmissionIdAlias = reader.bool(forKey: "submission.id.alias", default: emitSubmissionIdAlias)
        emitPartiallyValid = reader.bool(forKey: "partially.valid", default: emitPartiallyValid)
        idleTimeoutSeconds = Int64(reader.int(forKey: "idle.timeout", default: Int(idleTimeoutSeconds)))
        requestHeadTimeoutSeconds = Int64(reader.int(forKey: "request.head.timeout", default: Int(requestHeadTimeoutSeconds)))
        requestBodyTimeoutSeconds = Int64(reader.int(forKey: "request.body.timeout", default: Int(requestBodyTimeoutSeconds)))
        if let limits = reader.string(forKey: "rate.limits") {
            do { rateLimits = try RateLimits(parsing: limits) } catch { throw ConfigurationError("rate.limits: \(error.description)") }
        }
        let policy = reader.string(forKey: "pos.login", default: posLoginPolicy.rawValue)
        guard let parsedPolicy = POSLoginPolicy(rawValue: policy) else { throw ConfigurationError("pos.login must be lenient or strict, not '\(policy)'.") }
        posLoginPolicy = parsedPolicy
        switch (reader.string(forKey: "tls.cert"), reader.string(forKey: "tls.key")) {
        case let (cert?, key?): tls = TLSSettings(certificateChainPath: cert, privateKeyPath: key)
        case (nil, nil): break
        default: throw ConfigurationError("tls.cert and tls.key go together.")
        }
        try readNotificationSettings(reader)
        signatures.trustAnchorPaths = reader.stringArray(forKey: "signature.ca") ?? signatures.trustAnchorPaths
        if let sandboxCA = reader.bool(forKey: "signature.sandbox.ca") { signatures.sandboxAuthority = sandboxCA }
        adminKey = reader.string(forKey: "admin.key", isSecret: true) ?? adminKey
        seedDemoData = reader.bool(forKey: "demo", default: seedDemoData)
    }
}

extension PlatformConfiguration {
    fileprivate mutating func readNotificationSettings(_ reader: ConfigReader) throws {
        var n = notifications
        let mode = reader.string(forKey: "mode", default: n.mode.rawValue)
        guard let parsedMode = NotificationSettings.Mode(rawValue: mode) else { throw ConfigurationError("mode must be sandbox or production, not '\(mode)'.") }
        n.mode = parsedMode
        n.extraTrustRoots = reader.string(forKey: "callback.ca") ?? n.extraTrustRoots
        n.batchSize = reader.int(forKey: "notify.batch.size", default: n.batchSize)
        n.batchWaitMilliseconds = reader.int(forKey: "notify.batch.wait.ms", default: n.batchWaitMilliseconds)
        n.workers = reader.int(forKey: "notify.workers", default: n.workers)
        n.connectTimeoutMilliseconds = reader.int(forKey: "notify.connect.timeout.ms", default: n.connectTimeoutMilliseconds)
        n.requestTimeoutMilliseconds = reader.int(forKey: "notify.timeout.ms", default: n.requestTimeoutMilliseconds)
        n.retryInitialMilliseconds = reader.int(forKey: "notify.retry.initial.ms", default: n.retryInitialMilliseconds)
        n.retryMaximumMilliseconds = reader.int(forKey: "notify.retry.max.ms", default: n.retryMaximumMilliseconds)
        n.retryAttempts = reader.int(forKey: "notify.retry.attempts", default: n.retryAttempts)
        n.sealingKey = reader.string(forKey: "notify.key", isSecret: true) ?? n.sealingKey
        guard (1 ... 1000).contains(n.batchSize) else { throw ConfigurationError("notify.batch.size must be 1 to 1000.") }
        guard n.batchWaitMilliseconds >= 0, n.workers >= 0, n.connectTimeoutMilliseconds > 0, n.requestTimeoutMilliseconds > 0,
              n.retryInitialMilliseconds > 0, n.retryMaximumMilliseconds >= n.retryInitialMilliseconds, n.retryAttempts >= 1 else {
            throw ConfigurationError("notify.*: timeouts and retry delays must be positive, notify.retry.max.ms at least notify.retry.initial.ms, and notify.retry.attempts at least 1.")
        }
        notifications = n
    }
}

/// A setting that cannot be used.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
