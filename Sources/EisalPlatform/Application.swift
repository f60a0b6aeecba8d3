// The composition root of the platform: `buildApplication(configuration:)` is the only place
// that wires components together.

import EisalCore
import EisalStore
import EisalStoreSQLite
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Prometheus

/// What `eisal serve` prints at start-up.
public struct PlatformStartup: Sendable {
    /// Demo ERP and POS credentials (empty when demo data is off).
    public var demoCredentials: [IssuedCredentials]
    /// Key for the admin API (`X-Admin-Key`).
    public var adminKey: String
    public var databasePath: String
    /// `https` when TLS is on, else `http`.
    public var scheme: String
    /// The CA certificate clients must trust, when the sandbox CA issued the server certificate.
    public var tlsTrustAnchor: String?
}

/// Builds the platform: opens the SQLite store, seeds demo data, wires identity, intake,
/// processing and query, and returns the application with its start-up report.
/// `logger`: where the platform logs (default: a `eisal` logger at ``PlatformConfiguration/logLevel``).
public func buildApplication(configuration: PlatformConfiguration, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), logger: Logger? = nil,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws -> (some ApplicationProtocol, PlatformStartup) {
    let logger = logger ?? {
        var logger = Logger(label: "eisal")
        logger.logLevel = configuration.logLevel
        return logger
    }()
    let store = try SQLiteStore(path: configuration.databasePath, durability: configuration.durability == "normal" ? .normal : .full)
    let registry = RegistryService(store: store)
    let dataDirectory = URL(fileURLWithPath: configuration.databasePath).deletingLastPathComponent().path
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
    let clock = configuration.clock
    router.add(middleware: ThrottleMiddleware(limiter: RateLimiter(limits: configuration.rateLimits) { Double(clock.now()) }, tokens: tokens))
    HealthRoutes(metrics: metrics).register(on: router)
    IdentityRoutes(service: IdentityService(store: store, tokens: tokens, posLoginPolicy: configuration.posLoginPolicy)).register(on: router)
    AdminRoutes(registry: registry, adminKey: adminKey).register(on: router)
    let handoff = SubmissionHandoff(capacityBytes: configuration.handoffMegabytes << 20)
    let signal = JobSignal()
    // Stand-in decision (spec/common.md): /api/v1/ and /api/v1.0/ are aliases for every route.
    for prefix in ["api/v1", "api/v1.0"] {
        let group = router.group(RouterPath(prefix))
        SubmissionRoutes(intake: IntakeService(store: store, configuration: configuration, handoff: handoff, signal: signal), tokens: tokens, configuration: configuration).register(on: group)
        QueryRoutes(query: QueryService(store: store, configuration: configuration), tokens: tokens).register(on: group)
    }

    routes.load(router)
    let node = try NodeIdentity.acquire(configured: configuration.nodeID, directory: dataDirectory)
    let processing = LeasedWorker(
        queue: store, handler: ReceiptValidation(store: store, configuration: configuration, logger: logger, handoff: handoff),
        configuration: .init(kind: .validation, workers: configuration.processingWorkers, leaseSeconds: configuration.jobLeaseSeconds,
                             idlePoll: .milliseconds(configuration.workerPollMilliseconds)),
        node: node, signal: signal, clock: configuration.clock, logger: logger
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
        services: [processing],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger
    )
    return (app, PlatformStartup(demoCredentials: demo, adminKey: adminKey, databasePath: configuration.databasePath,
                                 scheme: configuration.tls == nil ? "http" : "https", tlsTrustAnchor: configuration.tls?.trustAnchorPath))
}
