// Holds a SQLite file's write lock from another connection, as another process would.

import Foundation
import GRDB
import Synchronization

/// Another connection's exclusive write lock on a SQLite file.
public enum SQLiteLock {
    /// Takes the write lock on `path`, runs `whileLocked` once it is held, and keeps the lock
    /// until `whileLocked` has returned and at least `seconds` have passed since it was taken (so
    /// a loaded machine cannot free the file before the blocked call was even made).
    public static func hold<T: Sendable>(_ path: String, for seconds: Double, whileLocked: @Sendable () async throws -> T) async throws -> T {
        let database = try DatabaseQueue(path: path)
        let locked = Mutex(false)
        let done = Mutex(false)
        async let holder: Void = database.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN EXCLUSIVE")
            locked.withLock { $0 = true }
            let until = Date().addingTimeInterval(seconds)
            while Date() < until || !done.withLock({ $0 }) { Thread.sleep(forTimeInterval: 0.01) }
            try db.execute(sql: "COMMIT")
        }
        while !locked.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        let result: Result<T, any Error>
        do { result = .success(try await whileLocked()) } catch { result = .failure(error) }
        done.withLock { $0 = true }
        try await holder
        return try result.get()
    }
}
