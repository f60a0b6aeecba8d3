// Wakes an idle worker when this node commits a job, so idle workers wait instead of polling the
// store (each claim attempt is a write); jobs committed by other nodes, and jobs given back until
// a later time, are still found by the pool's slow poll.

import Synchronization

/// A wake-up call for idle worker loops of one kind.
final class JobSignal: Sendable {
    private struct State: ~Copyable {
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Notifications no worker was waiting for (bounded).
        var pending = 0
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    init() {}

    /// Wakes one waiting worker, or lets the next one that waits return at once.
    func notify() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            if let id = state.waiters.keys.first { return state.waiters.removeValue(forKey: id) }
            state.pending = min(state.pending + 1, 1024)
            return nil
        }
        waiter?.resume()
    }

    /// Wakes every waiting worker (one of them found work nobody signalled; the others look too).
    func notifyAll() {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns after a notification (true) or after `timeout` (false), whichever comes first.
    /// Structured: the timer and the wait are child tasks that end with this call.
    @discardableResult
    func wait(timeout: Duration) async -> Bool {
        let ready: Bool = state.withLock { state in
            guard state.pending > 0 else { return false }
            state.pending -= 1
            return true
        }
        if ready { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForNotification(); return true }
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return true }  // cancelled: the notification came first
                return false
            }
            let notified = await group.next() ?? false
            group.cancelAll()
            return notified
        }
    }

    /// Waits for ``notify()``; returns early when the task is cancelled.
    private func waitForNotification() async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = state.withLock { state in
                    // A notification may have arrived since the check in `wait`, or the task may
                    // already be cancelled (its handler then found nothing to resume).
                    if state.pending > 0 {
                        state.pending -= 1
                        return true
                    }
                    if Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    /// Loops waiting now (tests).
    var waiting: Int { state.withLock { $0.waiters.count } }
}
