import EisalCore
import EisalStore
import EisalStoreSQLite
import EisalTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

@Suite("SQLite store: a locked file")
struct SQLiteBusyTests {
    /// A write that cannot get the file's lock within the busy timeout fails with
    /// StoreError.unavailable and changes nothing; the same write succeeds once the lock is free.
    @Test func aWriteBlockedPastTheBusyTimeoutIsUnavailableAndChangesNothing() async throws {
        let directory = try TemporaryDirectory("busy")
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.file("eisal.sqlite"), busyTimeout: .milliseconds(200))
        try await SQLiteLock.hold(directory.file("eisal.sqlite"), for: 1.5) {
            let started = ContinuousClock.now
            await #expect(throws: StoreError.unavailable("")) {
                try await Fixture.commit(store, "S1", [Fixture.document("a", in: "S1")])
            }
            // The lock is held until this block returns, so the call cannot have waited for it to
            // be freed: it gave up after its busy timeout (the bound only catches a hang).
            #expect(ContinuousClock.now - started < .seconds(60))
        }
        #expect(try await store.submission(uuid: "S1") == nil)
        #expect(try await store.existingReceiptUUIDs(["a"]).isEmpty)
        try await Fixture.commit(store, "S1", [Fixture.document("a", in: "S1")])
        #expect(try await store.existingReceiptUUIDs(["a"]) == ["a"])
    }
}
