// A pooled connection, waited for at most `PostgresSettings.poolWait`. PostgresNIO's pool keeps a
// caller waiting while it retries a database it cannot reach, until its circuit breaker trips
// after about a minute (measured: 67 s). A store call fails sooner, as unavailable, so the platform
// answers 503 with Retry-After while the database is away and serves again when it is back.
//
// The lease is taken by a child task that hands the connection over and holds the lease until the
// caller's body is done; a timer child gives up on the wait. Both end with the call.

import EisalStore
import PostgresNIO
import Synchronization

extension PostgresStore {
    /// Runs `body` on a pooled connection, waiting for one at most `settings.poolWait`.
    func leased<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let (events, sink) = AsyncStream.makeStream(of: LeaseEvent.self)
        let gate = LeaseGate()
        let client = client, wait = settings.poolWait, poolSize = settings.poolSize
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await client.withConnection { connection in
                        await gate.hold { sink.yield(.leased(connection)) }
                    }
                } catch {
                    sink.yield(.failed(error))
                }
            }
            group.addTask {
                do { try await Task.sleep(for: wait) } catch { return }
                sink.yield(.timedOut)
            }
            // Whatever the outcome: the lease is given back, a lease still waited for is cancelled.
            defer {
                gate.release()
                group.cancelAll()
            }
            for await event in events {
                switch event {
                case let .leased(connection):
                    // The timer stops; the lease child waits on the gate, which cancellation does not end.
                    group.cancelAll()
                    return try await body(connection)
                case let .failed(error):
                    throw error
                case .timedOut:
                    throw StoreError.unavailable("no PostgreSQL connection within \(wait) (a pool of \(poolSize)): the database is not answering, or every connection is busy")
                }
            }
            throw CancellationError()
        }
    }
}

/// What the lease's children report.
enum LeaseEvent: Sendable {
    case leased(PostgresConnection)
    case failed(any Error)
    case timedOut
}

/// Holds a lease until the caller releases it; not ended by cancellation.
final class LeaseGate: Sendable {
    private struct State: ~Copyable {
        var released = false
        var holder: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Announces the lease (after the wait is registered), then waits for ``release()``.
    func hold(_ announce: () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let released = state.withLock { state in
                if !state.released { state.holder = continuation }
                return state.released
            }
            announce()
            if released { continuation.resume() }
        }
    }

    /// Ends ``hold(_:)`` now or, if it has not begun, at once when it does.
    func release() {
        let holder: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.released = true
            defer { state.holder = nil }
            return state.holder
        }
        holder?.resume()
    }
}
