// The registry: taxpayers, ERP clients, POS devices, POS logins and shared secrets.

import EisalCore
import EisalStore
import NIOCore
import PostgresNIO

extension PostgresStore {
    public func upsertTaxpayer(_ t: TaxpayerRecord) async throws {
        try await writing { c in
            try await c.rows("""
                INSERT INTO taxpayers VALUES (\(t.rin), \(t.name), \(t.nameArabic), \(t.b2c), \(StoredValues.json(t.branches)), \(StoredValues.json(t.activityCodes)))
                ON CONFLICT (rin) DO UPDATE SET name = excluded.name, name_ar = excluded.name_ar, b2c = excluded.b2c, branches = excluded.branches, activities = excluded.activities
                """, self.logger)
        }
    }

    static func taxpayer(_ row: PostgresRow) throws -> TaxpayerRecord {
        let (rin, name, nameArabic, b2c, branches, activities) = try row.decode((String, String, String, Bool, String, String).self)
        return TaxpayerRecord(rin: rin, name: name, nameArabic: nameArabic, b2c: b2c, branches: StoredValues.list(branches), activityCodes: StoredValues.list(activities))
    }

    public func taxpayer(rin: String) async throws -> TaxpayerRecord? {
        try await rows("SELECT rin, name, name_ar, b2c, branches, activities FROM taxpayers WHERE rin = \(rin)", Self.taxpayer).first
    }

    public func taxpayers() async throws -> [TaxpayerRecord] {
        try await rows("SELECT rin, name, name_ar, b2c, branches, activities FROM taxpayers ORDER BY rin", Self.taxpayer)
    }

    public func upsertClient(_ c: ClientRecord) async throws {
        try await writing { connection in
            try await connection.rows("""
                INSERT INTO clients VALUES (\(c.clientID), \(c.secretHash), \(c.taxpayerRIN), \(StoredValues.json(c.representedRINs)), \(c.blocked))
                ON CONFLICT (client_id) DO UPDATE SET secret_hash = excluded.secret_hash, taxpayer_rin = excluded.taxpayer_rin, represented = excluded.represented,
                    blocked = excluded.blocked
                """, self.logger)
        }
    }

    static func client(_ row: PostgresRow) throws -> ClientRecord {
        let (id, hash, rin, represented, blocked) = try row.decode((String, String, String, String, Bool).self)
        return ClientRecord(clientID: id, secretHash: hash, taxpayerRIN: rin, representedRINs: StoredValues.list(represented), blocked: blocked)
    }

    public func client(id: String) async throws -> ClientRecord? {
        try await rows("SELECT client_id, secret_hash, taxpayer_rin, represented, blocked FROM clients WHERE client_id = \(id)", Self.client).first
    }

    public func clients() async throws -> [ClientRecord] {
        try await rows("SELECT client_id, secret_hash, taxpayer_rin, represented, blocked FROM clients ORDER BY client_id", Self.client)
    }

    public func upsertPOS(_ p: POSRecord) async throws {
        try await writing { c in
            try await c.rows("""
                INSERT INTO pos VALUES (\(p.serial), \(p.taxpayerRIN), \(p.branchCode), \(p.osVersion), \(p.modelFramework), \(p.presharedKey), \(p.activated))
                ON CONFLICT (serial) DO UPDATE SET taxpayer_rin = excluded.taxpayer_rin, branch = excluded.branch, os_version = excluded.os_version,
                    model_framework = excluded.model_framework, psk = excluded.psk, activated = excluded.activated
                """, self.logger)
        }
    }

    static func pos(_ row: PostgresRow) throws -> POSRecord {
        let (serial, rin, branch, os, model, psk, activated) = try row.decode((String, String, String, String, String, String, Bool).self)
        return POSRecord(serial: serial, taxpayerRIN: rin, branchCode: branch, osVersion: os, modelFramework: model, presharedKey: psk, activated: activated)
    }

    public func pos(serial: String) async throws -> POSRecord? {
        try await rows("SELECT serial, taxpayer_rin, branch, os_version, model_framework, psk, activated FROM pos WHERE serial = \(serial)", Self.pos).first
    }

    public func posDevices() async throws -> [POSRecord] {
        try await rows("SELECT serial, taxpayer_rin, branch, os_version, model_framework, psk, activated FROM pos ORDER BY serial", Self.pos)
    }

    public func recordPOSLogin(_ l: POSLoginRecord) async throws {
        try await writing { c in
            try await c.rows("""
                INSERT INTO pos_logins VALUES (\(l.serial), \(l.clientID), \(l.at), \(l.osVersion), \(l.modelFramework), \(l.presharedKey.rawValue))
                ON CONFLICT (serial) DO UPDATE SET client_id = excluded.client_id, at = excluded.at, os_version = excluded.os_version,
                    model_framework = excluded.model_framework, psk = excluded.psk
                """, self.logger)
        }
    }

    public func posLogins() async throws -> [POSLoginRecord] {
        try await rows("SELECT serial, client_id, at, os_version, model_framework, psk FROM pos_logins ORDER BY serial") { row in
            let (serial, client, at, os, model, psk) = try row.decode((String, String, Int64, String?, String?, String).self)
            return POSLoginRecord(serial: serial, clientID: client, at: at, osVersion: os, modelFramework: model,
                                  presharedKey: POSLoginRecord.PresharedKeyState(rawValue: psk) ?? .differs)
        }
    }

    public func secret(named name: String, create: @Sendable () -> [UInt8]) async throws -> [UInt8] {
        let fresh = ByteBuffer(bytes: create())
        return try await writing { c in
            // The first node to ask creates it; every other node reads that one.
            try await c.rows("INSERT INTO secrets VALUES (\(name), \(fresh)) ON CONFLICT (name) DO NOTHING", self.logger)
            let stored = try await c.rows("SELECT value FROM secrets WHERE name = \(name)", self.logger).first?.decode(ByteBuffer.self)
            return Self.bytes(stored ?? fresh)
        }
    }
}
