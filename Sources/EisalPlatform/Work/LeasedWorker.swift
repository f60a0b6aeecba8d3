// The one worker loop of the platform: claims leased jobs of one kind, runs a handler on each,
// keeps the lease alive while the handler runs, and completes, defers or gives the job back.
// Receipt validation is one handler; notification delivery and scheduled state changes are the
// next. Several nodes may run the same kind against one database: a job is held by one lease at
// a time, and a handler commits its results together with the job's removal only while its
// lease is still held (the store checks the owner), so a crash or a lost lease never loses or
// doubles a committed result.
//
// Recovery: a lease is short and renewed every third of its length while the handler runs, so a
// dead node's jobs are taken over within one lease; a node that restarts (same ``NodeIdentity``)
// frees its own leases at once before claiming anything.

import EisalStore
import Logging
import ServiceLifecycle

/// How a handler's work on one job ended.
enum JobOutcome: Sendable, Equatable {
    /// Results committed and the job removed.
    case completed
    /// The lease was lost before the commit (another worker does the job).
    case leaseLost
    /// Not finished yet: give the job back, claimable again from `until` (seconds since the epoch).
    case deferred(until: Int64)
}

/// What a ``LeasedWorker`` does with the jobs of its kind.
protocol LeasedJobHandler: Sendable {
    /// Does `job`, committing its results together with the job's removal (guarded by the lease).
    func handle(_ job: ClaimedJob) async throws -> JobOutcome
}

/// How one job's run ended, as the worker sees it.
enum WorkerStep: Sendable {
    case handled(JobOutcome)
    case failed(String)
    case leaseLost
    case stopped
}

/// A ``Service`` running `workers` concurrent loops over the jobs of one kind.
struct LeasedWorker<Queue: JobQueue, Handler: LeasedJobHandler>: Service {
    /// Settings of one worker pool.
    struct Configuration: Sendable {
        /// The kind of job this pool drains.
        var kind: JobKind
        /// Concurrent loops; 0 runs none (the service then only waits for shutdown).
        var workers: Int
        /// Lease length in seconds; renewed every third of it while a job runs.
        var leaseSeconds: Int64
        /// How often an idle pool as a whole looks at the queue without a signal (jobs committed
        /// by other nodes and jobs given back until later are found this way). Each idle loop
        /// looks `workers` times less often, at a jittered interval, so an idle node costs one
        /// claim attempt per pool and interval, not one per loop.
        var idlePoll: Duration
    }

    let queue: Queue
    let handler: Handler
    let configuration: Configuration
    let node: NodeIdentity
    /// Wakes idle loops when this node commits a job of this kind.
    let signal: JobSignal
    let clock: PlatformClock
    let logger: Logger

    func run() async throws {
        guard configuration.workers > 0 else {
            // No loops on this node (e.g. an intake-only node): stay up, since a finished service
            // would stop the whole group.
            try? await gracefulShutdown()
            return
        }
        // This node's previous process is gone (the node lock says so): its leases need not run out.
        let released = try await queue.releaseLeases(node: node.id, kind: configuration.kind)
        if released > 0 { logger.notice("took back leases of this node's previous run", metadata: ["kind": "\(configuration.kind)", "jobs": "\(released)"]) }
        await withDiscardingTaskGroup { group in
            for n in 0 ..< configuration.workers {
                group.addTask { await loop(LeaseOwner(node: node.id, worker: n, run: node.run)) }
            }
        }
    }

    /// Claims and runs jobs until shutdown; a graceful shutdown lets the running job finish.
    func loop(_ owner: LeaseOwner) async {
        var pollFound = false
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                if let job = try await queue.claimJob(kind: configuration.kind, owner: owner, now: clock.now(), leaseSeconds: configuration.leaseSeconds) {
                    // Work found by the slow poll may come in numbers (another node's burst, a
                    // dead node's jobs): the idle loops look as well.
                    if pollFound { signal.notifyAll() }
                    pollFound = false
                    await run(job)
                    continue
                }
            } catch {
                // A store that cannot serve now: back off for a second rather than queue more
                // writes behind the lock (intake's commits wait in the same line).
                logger.warning("claiming a job failed", metadata: ["kind": "\(configuration.kind)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            pollFound = await !signal.wait(timeout: idleWait())
        }
    }

    /// One idle loop's wait: the pool's poll interval times the number of loops, jittered ±50 %
    /// so the loops' looks spread out instead of coming together.
    func idleWait() -> Duration {
        configuration.idlePoll * Double(configuration.workers) * Double.random(in: 0.5 ... 1.5)
    }

    /// One job: the handler, with the lease renewed beside it until the handler returns.
    func run(_ job: ClaimedJob) async {
        let step: WorkerStep = await withTaskGroup(of: WorkerStep.self) { group in
            group.addTask {
                do { return .handled(try await handler.handle(job)) } catch { return .failed(String(describing: error)) }
            }
            group.addTask { await keepLease(job) ? .stopped : .leaseLost }
            let first = await group.next() ?? .stopped
            group.cancelAll()
            return first
        }
        switch step {
        case .handled(.completed), .stopped:
            break
        case .handled(.leaseLost), .leaseLost:
            logger.warning("lease lost; another worker does the job", metadata: ["kind": "\(job.kind)", "subject": "\(job.subject)"])
        case let .handled(.deferred(until)):
            _ = try? await queue.deferJob(job, until: until)
        case let .failed(error):
            // Given back with a short delay, so a failing store or job does not spin.
            logger.error("job failed; it will be tried again", metadata: ["kind": "\(job.kind)", "subject": "\(job.subject)", "attempt": "\(job.attempts)", "error": "\(error)"])
            _ = try? await queue.deferJob(job, until: clock.now() + min(Int64(job.attempts), 30))
        }
    }

    /// Renews the lease every third of its length. Returns true when cancelled (the handler is
    /// done), false when the lease was lost.
    func keepLease(_ job: ClaimedJob) async -> Bool {
        let interval = Duration.seconds(max(1, configuration.leaseSeconds) ) / 3
        while true {
            do { try await Task.sleep(for: interval) } catch { return true }
            do {
                if try await !queue.renewLease(job, until: clock.now() + configuration.leaseSeconds) { return false }
            } catch {
                // A store that cannot write now: the next renewal tries again, well inside the lease.
                logger.warning("renewing a lease failed", metadata: ["subject": "\(job.subject)", "error": "\(error)"])
            }
        }
    }
}
