@testable import EisalCore
@testable import EisalPlatform
import EisalStore
import Foundation
import Testing

@Suite("Intake-to-worker handoff")
struct HandoffTests {
    func entry(bytes: Int) throws -> SubmissionHandoff.Entry {
        let document = try JSONParser().parse(#"{"receipts":[{"a":1}]}"#)
        return .init(records: [], receipts: document.root["receipts"]?.elements ?? [], bytes: bytes)
    }

    @Test func entriesAreTakenOnceAndTheOldestGoFirstWhenFull() throws {
        let handoff = SubmissionHandoff(capacityBytes: 1000)
        handoff.put("A", try entry(bytes: 400))
        handoff.put("B", try entry(bytes: 400))
        handoff.put("C", try entry(bytes: 400)) // 1200 > 1000: A goes
        #expect(handoff.take("A") == nil)
        #expect(handoff.take("B")?.receipts.count == 1)
        #expect(handoff.take("B") == nil)
        #expect(handoff.count == 1)
        handoff.put("D", try entry(bytes: 2000)) // larger than the whole capacity: not kept
        #expect(handoff.take("D") == nil)
        #expect(SubmissionHandoff(capacityBytes: 0).take("C") == nil)
    }

    /// `wait` says whether a notification (true) or its timeout (false) ended it, so these tests
    /// need no clock bounds beyond "at least the timeout" (a loaded machine only makes them slower).
    @Test func signalWakesAWaiterOrIsKeptForTheNextOne() async {
        let signal = JobSignal()
        // A notification nobody waited for makes the next wait return at once.
        signal.notify()
        #expect(await signal.wait(timeout: .seconds(300)), "a kept notification counts as one")
        // Without a notification the wait ends at its timeout, and says so.
        let quiet = ContinuousClock.now
        #expect(await signal.wait(timeout: .milliseconds(50)) == false)
        #expect(ContinuousClock.now - quiet >= .milliseconds(40))
        // A waiting worker is woken by a notification, not by its timeout.
        async let waited = signal.wait(timeout: .seconds(300))
        while signal.waiting < 1 { try? await Task.sleep(for: .milliseconds(5)) }
        signal.notify()
        #expect(await waited)
    }

    @Test func notifyAllWakesEveryWaiterAndKeepsNothing() async {
        let signal = JobSignal()
        async let first = signal.wait(timeout: .seconds(300))
        async let second = signal.wait(timeout: .seconds(300))
        async let third = signal.wait(timeout: .seconds(300))
        while signal.waiting < 3 { try? await Task.sleep(for: .milliseconds(5)) }
        signal.notifyAll()
        let woken = await [first, second, third]
        #expect(woken == [true, true, true])
        // Nothing is kept for a later waiter: it waits for its own timeout.
        #expect(await signal.wait(timeout: .milliseconds(30)) == false)
    }
}
