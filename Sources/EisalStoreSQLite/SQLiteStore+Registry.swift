// The registry: taxpayers, ERP clients, POS devices, POS logins and shared secrets.

import EisalCore
import EisalStore
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteStore {
    public func upsertTaxpayer(_ t: TaxpayerRecord) async throws {
        try await writing { db in
            try db.execute(sql: "INSERT OR REPLACE INTO taxpayers VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [t.rin, t.name, t.nameArabic, t.b2c, Self.json(t.branches), Self.json(t.activityCodes)])
        }
    }

    static func taxpayer(_ row: Row) -> TaxpayerRecord {
        TaxpayerRecord(rin: row["rin"], name: row["name"], nameArabic: row["name_ar"], b2c: row["b2c"], branches: list(row["branches"]), activityCodes: list(row["activities"]))
    }

    public func taxpayer(rin: String) async throws -> TaxpayerRecord? {
        try reading { db in try Row.fetchOne(db, sql: "SELECT * FROM taxpayers WHERE rin = ?", arguments: [rin]).map(Self.taxpayer) }
    }

    public func taxpayers() async throws -> [TaxpayerRecord] {
        try reading { db in try Row.fetchAll(db, sql: "SELECT * FROM taxpayers ORDER BY rin").map(Self.taxpayer) }
    }

    public func upsertClient(_ c: ClientRecord) async throws {
        try await writing { db in
            try db.execute(sql: "INSERT OR REPLACE INTO clients VALUES (?, ?, ?, ?, ?)",
                           arguments: [c.clientID, c.secretHash, c.taxpayerRIN, Self.json(c.representedRINs), c.blocked])
        }
    }

    static func client(_ row: Row) -> ClientRecord {
        ClientRecord(clientID: row["client_id"], secretHash: row["secret_hash"], taxpayerRIN: row["taxpayer_rin"], representedRINs: list(row["represented"]), blocked: row["blocked"])
    }

    public func client(id: String) async throws -> ClientRecord? {
        try reading { db in try Row.fetchOne(db, sql: "SELECT * FROM clients WHERE client_id = ?", arguments: [id]).map(Self.client) }
    }

    public func clients() async throws -> [ClientRecord] {
        try reading { db in try Row.fetchAll(db, sql: "SELECT * FROM clients ORDER BY client_id").map(Self.client) }
    }

    public func upsertPOS(_ p: POSRecord) async throws {
        try await writing { db in
            try db.execute(sql: "INSERT OR REPLACE INTO pos VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [p.serial, p.taxpayerRIN, p.branchCode, p.osVersion, p.modelFramework, p.presharedKey, p.activated])
        }
    }

    static func pos(_ row: Row) -> POSRecord {
        POSRecord(serial: row["serial"], taxpayerRIN: row["taxpayer_rin"], branchCode: row["branch"], osVersion: row["os_version"], modelFramework: row["model_framework"], presharedKey: row["psk"], activated: row["activated"])
    }

    public func pos(serial: String) async throws -> POSRecord? {
        try reading { db in try Row.fetchOne(db, sql: "SELECT * FROM pos WHERE serial = ?", arguments: [serial]).map(Self.pos) }
    }

    public func posDevices() async throws -> [POSRecord] {
        try reading { db in try Row.fetchAll(db, sql: "SELECT * FROM pos ORDER BY serial").map(Self.pos) }
    }

    public func recordPOSLogin(_ l: POSLoginRecord) async throws {
        try await writing { db in
            try db.execute(sql: "INSERT OR REPLACE INTO pos_logins VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [l.serial, l.clientID, l.at, l.osVersion, l.modelFramework, l.presharedKey.rawValue])
        }
    }

    public func posLogins() async throws -> [POSLoginRecord] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pos_logins ORDER BY serial").map { row in
                POSLoginRecord(serial: row["serial"], clientID: row["client_id"], at: row["at"], osVersion: row["os_version"], modelFramework: row["model_framework"],
                               presharedKey: POSLoginRecord.PresharedKeyState(rawValue: row["psk"]) ?? .differs)
            }
        }
    }

    public func secret(named name: String, create: @Sendable () -> [UInt8]) async throws -> [UInt8] {
        let fresh = Data(create())
        return try await writing { db in
            try db.execute(sql: "INSERT OR IGNORE INTO secrets VALUES (?, ?)", arguments: [name, fresh])
            let stored: Data = try Data.fetchOne(db, sql: "SELECT value FROM secrets WHERE name = ?", arguments: [name]) ?? fresh
            return [UInt8](stored)
        }
    }
}
