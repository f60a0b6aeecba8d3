// Holds a SQLite file's write lock from another connection, as another process would.

import Foundation
import GRDB
import Synchronization

/// Another connection's exclusive write lock on a SQLite file.
public enum SQLiteLock {
    /// Takes the write lock on `path`, runs `whileLocked` once it is held, and keeps the lock
    /// until `seconds` have passed since it was taken.
    public static func hold<T: Sendable>(_ path: String, for seconds: Double, whileLocked: @Sendable () async throws -> T) async throws -> T {
        let database = try DatabaseQueue(path: path)
        let locked = Mutex(false)
        async let holder: Void = database.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN EXCLUSIVE")
            locked.withLock { $0 = true }
            Thread.sleep(forTimeInterval: seconds)
            try db.execute(sql: "COMMIT")
        }
        while !locked.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        let result = try await whileLocked()
        try await holder
        return result
    }
}
