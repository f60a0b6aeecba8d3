// A pooled connection, waited for at most `PostgresSettings.poolWait`. PostgresNIO's pool keeps a
// caller waiting while it retries a database it cannot reach, until its circuit breaker trips
// after about a minute (measured: 67 s). A store call fails sooner, as unavailable, so the platform
// answers 503 with Retry-After while the database is away and serves again when it is back.
//
// The lease is taken by a child task that hands the connection over and holds the lease until the
// caller's body is done; a timer on an event loop ends the wait. Both end with the call.

import EisalStore
import NIOCore
import PostgresNIO
import Synchronization

extension PostgresStore {
    /// Runs `body` on a pooled connection, waiting for one at most `settings.poolWait`.
    func leased<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let handoff = LeaseHandoff()
        let client = client, wait = settings.poolWait, poolSize = settings.poolSize
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await client.withConnection { connection in await handoff.hold(connection) }
                } catch {
                    handoff.fail(error)
                }
            }
            // Whatever the outcome: the lease is given back, a lease still waited for is cancelled.
            defer {
                handoff.release()
                group.cancelAll()
            }
            let timer = PostgresConnection.defaultEventLoopGroup.any().scheduleTask(in: .nanoseconds(Int64(wait.components.seconds) * 1_000_000_000 + wait.components.attoseconds / 1_000_000_000)) {
                handoff.fail(StoreError.unavailable("no PostgreSQL connection within \(wait) (a pool of \(poolSize)): the database is not answering, or every connection is busy"))
            }
            let connection: PostgresConnection
            do {
                connection = try await handoff.connection()
                timer.cancel()
            } catch {
                timer.cancel()
                throw error
            }
            return try await body(connection)
        }
    }
}

/// The lease's hand-over: the caller waits for the connection (or the first failure), the lease
/// child holds the lease until the caller releases it. Neither wait is ended by cancellation: the
/// caller's ends when the lease child fails (a cancelled request fails), the child's on release.
final class LeaseHandoff: Sendable {
    private struct State: ~Copyable {
        var outcome: Result<PostgresConnection, any Error>?
        var waiter: CheckedContinuation<PostgresConnection, any Error>?
        var released = false
        var holder: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// The connection, or the first failure.
    func connection() async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PostgresConnection, any Error>) in
            let outcome: Result<PostgresConnection, any Error>? = state.withLock { state in
                if state.outcome == nil { state.waiter = continuation }
                return state.outcome
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// Decides the outcome once (later calls change nothing).
    private func decide(_ outcome: Result<PostgresConnection, any Error>) -> Bool {
        let (decided, waiter): (Bool, CheckedContinuation<PostgresConnection, any Error>?) = state.withLock { state in
            guard state.outcome == nil else { return (false, nil) }
            state.outcome = outcome
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume(with: outcome)
        return decided
    }

    /// The lease failed, or the wait ran out.
    func fail(_ error: any Error) { _ = decide(.failure(error)) }

    /// Hands `connection` over, then holds the lease until ``release()`` (at once if the caller
    /// already gave up).
    func hold(_ connection: PostgresConnection) async {
        guard decide(.success(connection)) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let released = state.withLock { state in
                if !state.released { state.holder = continuation }
                return state.released
            }
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
