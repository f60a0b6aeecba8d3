// The composition root of the platform: `buildApplication(configuration:)` is the only place
// that wires components together.

import EisalCore
import Hummingbird
import Logging

/// Settings of `eisal serve`.
public struct PlatformConfiguration: Sendable {
    /// Address to listen on. Default `127.0.0.1`.
    public var host: String
    /// Port to listen on. Default 8080; 0 picks a free port.
    public var port: Int
    /// Log level. Default `info`.
    public var logLevel: Logger.Level

    public init(host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info) {
        self.host = host
        self.port = port
        self.logLevel = logLevel
    }
}

/// Builds the platform's HTTP application.
public func buildApplication(configuration: PlatformConfiguration) -> some ApplicationProtocol {
    var logger = Logger(label: "eisal")
    logger.logLevel = configuration.logLevel
    let router = Router()
    HealthRoutes().register(on: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "eisal"),
        logger: logger
    )
}
