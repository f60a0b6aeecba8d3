// A pooled connection, waited for at most `PostgresSettings.poolWait`. PostgresNIO's pool keeps a
// caller waiting while it retries a database it cannot reach, until its circuit breaker trips
// after about a minute (measured: 67 s). A store call fails sooner, as unavailable, so the platform
// answers 503 with Retry-After while the database is away and serves again when it is back.
//
// A call asks ``PostgresStore/run()`` for a lease; run() takes it in a child task of its own, which
// hands the connection over and holds the lease until the call's body is done, and a timer on an
// event loop ends the call's wait. A call that gave up never waits for the pool's request: that
// stays with run(). (A first version kept it in a task group of the call, cancelled when the call
// gave up; but the pool loses a cancellation that comes before it has queued the request, and the
// call would then wait for the pool, past its `pool_wait`, until the database was back.)

import EisalStore
import NIOCore
import PostgresNIO
import Synchronization

extension PostgresStore {
    /// Runs `body` on a pooled connection, waiting for one at most `settings.poolWait`.
    func leased<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let handoff = LeaseHandoff()
        // Whatever the outcome: the lease is given back (at once, if it comes after the call gave up).
        defer { handoff.release() }
        if case .terminated = leaseRequester.yield(handoff) {
            throw StoreError.unavailable("the PostgreSQL store has stopped")
        }
        let wait = settings.poolWait, poolSize = settings.poolSize
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

    /// The pool, and a child task for each lease asked for, until cancelled. A lease child ends
    /// when its call releases the connection, or when the pool fails the request (the call may
    /// long have given up); at shutdown the pool fails every request still waiting.
    func runPoolAndLeases() async {
        let client = client
        await withDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            for await handoff in leaseRequests {
                group.addTask {
                    do {
                        try await client.withConnection { connection in await handoff.hold(connection) }
                    } catch {
                        handoff.fail(error)
                    }
                }
            }
            // Cancelled: calls from now on fail at once, and the pool (cancelled with this task) ends.
            leaseRequester.finish()
        }
    }
}

/// The lease's hand-over: the caller waits for the connection (or the first failure: the pool's,
/// or its wait running out), the lease child holds the lease until the caller releases it. Neither
/// wait is ended by cancellation: the caller's ends by its timer at the latest, the child's on release.
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
