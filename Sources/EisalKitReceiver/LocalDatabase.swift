// The receiver side's SQLite files (the notification inbox, the receipt ledger) opened one way:
// the folder created, WAL, synchronous=NORMAL (survives a killed process), a 10 s busy wait.

import Foundation
import GRDB

enum LocalDatabase {
    /// Opens (or creates) the SQLite file at `path`.
    static func open(path: String) throws -> DatabaseQueue {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let database = try DatabaseQueue(path: path, configuration: configuration)
        try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        return database
    }
}
