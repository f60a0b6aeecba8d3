// The composition root of the platform: `buildApplication(configuration:)` is the only place
// that wires components together. It opens the store the configuration names, and builds the
// rest generically over it.

import EisalCAdES
import EisalCore
import EisalStore
import EisalStorePostgres
import EisalStoreSQLite
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Metrics
import Prometheus

/// What `eisal serve` prints at start-up.
public struct PlatformStartup: Sendable {
    /// Demo ERP and POS credentials (empty when demo data is off).
    public var demoCredentials: [IssuedCredentials]
    /// Key for the admin API (`X-Admin-Key`).
    public var adminKey: String
    /// Where the data is (the SQLite file).
    public var storeDescription: String
    /// `https` when TLS is on, else `http`.
    public var scheme: String
    /// The CA certificate clients must trust, when the sandbox CA issued the server certificate.
    public var tlsTrustAnchor: String?
    /// The sandbox signing CA's certificate, when it is on.
    public var signingAuthority: String? = nil
    /// The demo taxpayers' seal certificates and keys, when the sandbox signing CA is on.
    public var seals: [SandboxSigningAuthority.Seal] = []
    /// The store the platform runs on (for tools in the same process: benchmarks, tests).
    public var store: any PlatformStore
}

/// The platform's application (one concrete type whatever the store).
public typealias PlatformApplication = Application<RouterResponder<EisalRequestContext>>

/// Builds the platform on the store the configuration names and runs `body` with it: opens the
/// store (a PostgreSQL store's connection pool runs for as long as `body` does, and its migrations
/// are applied first), seeds demo data, wires identity, intake, processing and query.
/// `logger`: where the platform logs (default: a `eisal` logger at ``PlatformConfiguration/logLevel``).
public func withPlatform<T: Sendable>(configuration: PlatformConfiguration, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), logger: Logger? = nil,
                                      onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
                                      _ body: (PlatformApplication, PlatformStartup) async throws -> T) async throws -> T {
    let logger = logger ?? {
        var logger = Logger(label: "eisal")
        logger.logLevel = configuration.logLevel
        return logger
    }()
    switch configuration.store {
    case .sqlite:
        let store = try SQLiteStore(configuration.store)
        let (app, startup) = try await buildApplication(store: store, describedAs: configuration.store.description, configuration: configuration, metrics: metrics,
                                                        logger: logger, onServerRunning: onServerRunning)
        return try await body(app, startup)
    case let .postgres(settings):
        var storeLogger = logger
        storeLogger[metadataKey: "store"] = "postgres"
        let store = try PostgresStore(settings, logger: storeLogger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            // The pool runs beside the platform and stops after it (this scope's end).
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            try await store.migrate()
            let (app, startup) = try await buildApplication(store: store, describedAs: configuration.store.description, configuration: configuration, metrics: metrics,
                                                            logger: logger, onServerRunning: onServerRunning)
            return try await body(app, startup)
        }
    }
}

/// Opens the store `configuration` names (a PostgreSQL store migrated, its pool running while
/// `body` runs) for tools that use it without the platform: the admin commands, `eisal migrate`.
public func withStore<T: Sendable>(_ configuration: StoreConfiguration, logger: Logger = Logger(label: "eisal"),
                                   _ body: (any PlatformStore) async throws -> T) async throws -> T {
    switch configuration {
    case .sqlite:
        return try await body(try SQLiteStore(configuration))
    case let .postgres(settings):
        let store = try PostgresStore(settings, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            try await store.migrate()
            return try await body(store)
        }
    }
}

func buildApplication<Store: PlatformStore>(store: Store, describedAs storeDescription: String, configuration: PlatformConfiguration, metrics: PrometheusCollectorRegistry,
                                            logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void) async throws -> (PlatformApplication, PlatformStartup) {
    let registry = RegistryService(store: store)
    let dataDirectory = configuration.store.dataDirectory
    try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
    let demo = configuration.seedDemoData ? try await registry.seedDemo(credentialsFile: dataDirectory + "/demo-credentials.json") : []
    let adminKey: String
    if let configured = configuration.adminKey {
        adminKey = configured
    } else {
        adminKey = String(decoding: try await store.secret(named: "admin-key") { Array(Identifiers.random(32).utf8) }, as: UTF8.self)
    }
    let signingKey = try await store.secret(named: "token-signing-key") { (0 ..< 32).map { _ in UInt8.random(in: 0 ... 255) } }
    let tokens = TokenService(key: .init(data: signingKey), lifetime: configuration.tokenLifetime, clock: configuration.clock)

    // HEAD is answered for every GET route, as HTTP says (the GET's headers, no body).
    let router = Router(context: EisalRequestContext.self, options: .autoGenerateHeadEndpoints)
    let routes = RouteTable()
    // Outermost: metrics count the response that is sent, after the error mapping.
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware(routes: routes))
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: AuthenticatorMiddleware(tokens: tokens))
    let clock = configuration.clock
    router.add(middleware: ThrottleMiddleware(limiter: RateLimiter(limits: configuration.rateLimits) { Double(clock.now()) }))
    HealthRoutes(metrics: metrics) {
        if let pending = try? await store.undeliveredNotificationCount() { Gauge(label: "eisal_notifications_pending").record(pending) }
    }.register(on: router)
    IdentityRoutes(service: IdentityService(store: store, tokens: tokens, posLoginPolicy: configuration.posLoginPolicy)).register(on: router)
    AdminRoutes(registry: registry, adminKey: adminKey).register(on: router)
    let handoff = SubmissionHandoff(capacityBytes: configuration.handoffMegabytes << 20)
    let signal = JobSignal()
    let receipts = ReceiptFamily(store: store, configuration: configuration)
    let intake = IntakeService(store: store, family: receipts, configuration: configuration, handoff: handoff, signal: signal)
    let (signatureTrust, signingAuthority, seals) = try documentSignatureTrust(configuration, demo: demo, dataDirectory: dataDirectory)
    let invoices = InvoiceFamily(store: store, configuration: configuration, signatures: DocumentSignatures(verifier: CAdESVerifier(trust: signatureTrust)))
    let documentSignal = JobSignal()
    let documentIntake = IntakeService(store: store, family: invoices, configuration: configuration, handoff: handoff, signal: documentSignal)
    // Stand-in decision (spec/common.md): /api/v1/ and /api/v1.0/ are aliases for every route.
    for prefix in ["api/v1", "api/v1.0"] {
        let group = router.group(RouterPath(prefix))
        SubmissionRoutes(intake: intake, path: "receiptsubmissions", configuration: configuration).register(on: group)
        QueryRoutes(query: QueryService(store: store, configuration: configuration)).register(on: group)
        SubmissionRoutes(intake: documentIntake, path: "documentsubmissions", configuration: configuration).register(on: group)
        DocumentQueries(store: store, configuration: configuration).register(on: group)
    }
    // Notifications: callbacks, the delivery log, and the dispatch worker below.
    let notify = configuration.notifications
    let sealer = try CallbackKeySealer.load(configured: notify.sealingKey, directory: dataDirectory)
    // Every node must seal with the same key: the first one leaves a sealed value in the store,
    // and a node whose key cannot open it refuses to start (instead of failing every delivery).
    let sealed = try await store.secret(named: "callback-key-check") { (try? sealer.seal("eisal")) ?? [] }
    guard (try? sealer.open(sealed)) == "eisal" else {
        throw ConfigurationError("This node's callback sealing key differs from the one the database's callbacks are sealed with: give every node the same notify.key (EISAL_NOTIFY_KEY), or the same {data}/callback.key.")
    }
    let policy = CallbackPolicy(mode: notify.mode)
    let callbackClient = try CallbackClient(settings: notify)
    let dispatchSignal = JobSignal()
    let lifecycle = DocumentLifecycleService(store: store, workflow: configuration.documentWorkflow, clock: clock, dispatchSignal: dispatchSignal)
    for prefix in ["api/v1", "api/v1.0"] {
        let group = router.group(RouterPath(prefix))
        DocumentStateRoutes(lifecycle: lifecycle).register(on: group)
        DocumentTypeRoutes(workflow: configuration.documentWorkflow).register(on: group)
    }
    NotificationRoutes(callbacks: CallbackService(store: store, policy: policy, sealer: sealer, client: callbackClient, clock: clock), queries: NotificationQueries(store: store),
                       clock: clock, dispatchSignal: dispatchSignal, adminKey: adminKey).register(on: router)
    routes.load(router)

    let node = try NodeIdentity.acquire(configured: configuration.nodeID, directory: dataDirectory)
    let validation = LeasedWorker(
        queue: store,
        handler: DocumentValidation(store: store, family: receipts, emitPartiallyValid: configuration.emitPartiallyValid, clock: configuration.clock, logger: logger, handoff: handoff,
                                    dispatchSignal: dispatchSignal),
        configuration: .init(kind: JobKind(family: receipts.family), workers: configuration.processingWorkers, leaseSeconds: configuration.jobLeaseSeconds,
                             idlePoll: .milliseconds(configuration.workerPollMilliseconds)),
        node: node, signal: signal, clock: configuration.clock, logger: logger
    )
    // Documents have their own queue and loops, so a burst of one family never waits behind the other.
    // Their submissions report `Partially Valid` (documented for documents, spec/documents-api.md).
    let documentValidation = LeasedWorker(
        queue: store,
        handler: DocumentValidation(store: store, family: invoices, emitPartiallyValid: true, clock: configuration.clock, logger: logger, handoff: handoff,
                                    dispatchSignal: dispatchSignal),
        // This node's submissions wake it at once; the slow look (other nodes' jobs, deferred ones)
        // is 5 times rarer than the receipts', so an idle document pool costs intake little.
        configuration: .init(kind: JobKind(family: invoices.family), workers: configuration.processingWorkers, leaseSeconds: configuration.jobLeaseSeconds,
                             idlePoll: .milliseconds(5 * configuration.workerPollMilliseconds)),
        node: node, signal: documentSignal, clock: configuration.clock, logger: logger
    )
    // Scheduled life-cycle changes (a cancellation taking effect at its delayed date, hours ahead):
    // looked for once a second at most, so an idle node pays little for them.
    let documentStates = LeasedWorker(
        queue: store, handler: DocumentStateJob(lifecycle: lifecycle),
        configuration: .init(kind: .documentState, workers: 1, leaseSeconds: configuration.jobLeaseSeconds,
                             idlePoll: .milliseconds(max(1_000, configuration.workerPollMilliseconds))),
        node: node, signal: JobSignal(), clock: clock, logger: logger
    )
    let dispatch = LeasedWorker(
        queue: store,
        handler: NotificationDispatch(store: store, settings: notify, policy: policy, sealer: sealer, client: callbackClient, clock: clock, logger: logger),
        configuration: .init(kind: .dispatch, workers: notify.workers, leaseSeconds: configuration.jobLeaseSeconds, idlePoll: .milliseconds(configuration.workerPollMilliseconds)),
        node: node, signal: dispatchSignal, clock: clock, logger: logger
    )
    // A connection that sends nothing for the idle timeout (between requests, or in the middle
    // of a body) is closed, so stalled uploads cannot hold sockets forever.
    let limits = EisalHTTP1Channel.Limits(headTimeout: .seconds(configuration.requestHeadTimeoutSeconds), bodyTimeout: .seconds(configuration.requestBodyTimeoutSeconds),
                                          idleTimeout: .seconds(configuration.idleTimeoutSeconds))
    var server = HTTPServerBuilder { responder in EisalHTTP1Channel(responder: responder, limits: limits) }
    if let tls = configuration.tls { server = try .tls(server, tlsConfiguration: tls.serverConfiguration()) }
    let app = Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "eisal"),
        // The callback client is shut down after the dispatchers stop (services stop in reverse).
        services: [CallbackClientService(client: callbackClient), validation, documentValidation, documentStates, dispatch],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger
    )
    return (app, PlatformStartup(demoCredentials: demo, adminKey: adminKey, storeDescription: storeDescription,
                                 scheme: configuration.tls == nil ? "http" : "https", tlsTrustAnchor: configuration.tls?.trustAnchorPath,
                                 signingAuthority: signingAuthority, seals: seals, store: store))
}

/// The anchors document signatures must chain to: the configured ones, and in sandbox mode (unless
/// turned off) the sandbox signing CA, which also issues each demo taxpayer's seal.
func documentSignatureTrust(_ configuration: PlatformConfiguration, demo: [IssuedCredentials], dataDirectory: String) throws -> (TrustStore, String?, [SandboxSigningAuthority.Seal]) {
    var anchors = try TrustStore(pemPaths: configuration.signatures.trustAnchorPaths).anchors
    guard configuration.signatures.sandboxAuthority ?? (configuration.notifications.mode == .sandbox) else { return (TrustStore(anchors: anchors), nil, []) }
    let authority = SandboxSigningAuthority(directory: dataDirectory + "/signing")
    anchors.append(try authority.authority(now: Date(timeIntervalSince1970: TimeInterval(configuration.clock.now()))))
    var seals: [SandboxSigningAuthority.Seal] = []
    for rin in Set(demo.map(\.taxpayerRIN)).sorted() {
        seals.append(try authority.seal(rin: rin, name: "Eisal Demo Taxpayer \(rin)", now: Date(timeIntervalSince1970: TimeInterval(configuration.clock.now()))))
    }
    return (TrustStore(anchors: anchors), authority.caCertificatePath, seals)
}
