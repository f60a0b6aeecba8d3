import ArgumentParser
import EisalPlatform
import Hummingbird
import Logging

/// `eisal serve`: runs the platform.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the platform.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port = 8080
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let app = buildApplication(configuration: PlatformConfiguration(host: host, port: port, logLevel: level))
        try await app.runService()
    }
}
