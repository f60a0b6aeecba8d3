// Serves a Hummingbird router on loopback while a test body runs: the one way the test
// receivers, the fault proxy and the SDK guide's ERP run their servers.

import Hummingbird
import Logging
import ServiceLifecycle

public enum LoopbackServer {
    /// Runs `router` on 127.0.0.1:`port` (0 picks one), hands `body` the bound port, and shuts the
    /// server down gracefully when `body` ends (or throws).
    public static func run<T: Sendable>(_ router: Router<BasicRequestContext>, port: Int = 0, name: String, logger: Logger,
                                        _ body: @Sendable (Int) async throws -> T) async throws -> T {
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: name),
                              onServerRunning: { channel in readyContinuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
            group.addTask {
                try await services.run()
                return nil
            }
            var iterator = ready.makeAsyncIterator()
            guard let bound = await iterator.next() else { throw CancellationError() }
            let result: T
            do { result = try await body(bound) } catch {
                await services.triggerGracefulShutdown()
                group.cancelAll()
                throw error
            }
            await services.triggerGracefulShutdown()
            for try await _ in group {}
            return result
        }
    }
}
