// The registry: taxpayers, ERP clients and POS devices. ETA registers these on its portal (no
// public API, spec/identity.md "Registration"); Eisal offers `eisal admin` and a protected admin
// API, and creates a demo taxpayer with an ERP client and an activated POS on first start.

import EisalCore
import EisalStore
import Foundation

/// Credentials shown once when a client or POS is created.
public struct IssuedCredentials: Sendable, Codable, Hashable {
    public var taxpayerRIN: String
    public var clientID: String
    public var clientSecret: String
    public var posSerial: String?
    public var posOSVersion: String?
    public var posModelFramework: String?
    public var presharedKey: String?
}

/// Registry operations shared by `eisal admin`, the admin API and the demo seed.
public struct RegistryService<Store: RegistryStore>: Sendable {
    public let store: Store
    public init(store: Store) { self.store = store }

    public func addTaxpayer(rin: String, name: String, b2c: Bool = true, branches: [String] = ["0"], activityCodes: [String] = ["4620"]) async throws -> TaxpayerRecord {
        guard rin.utf8.count == 9, rin.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { throw PlatformError.badArgument("rin must be 9 digits.", target: "rin") }
        let record = TaxpayerRecord(rin: rin, name: name, b2c: b2c, branches: branches, activityCodes: activityCodes)
        try await store.upsertTaxpayer(record)
        return record
    }

    public func addClient(taxpayerRIN: String, clientID: String? = nil, secret: String? = nil, representing: [String] = []) async throws -> IssuedCredentials {
        guard try await store.taxpayer(rin: taxpayerRIN) != nil else { throw PlatformError.notFound("Taxpayer \(taxpayerRIN)", target: "taxpayerRIN") }
        let id = clientID ?? UUID().uuidString.lowercased()
        let clientSecret = secret ?? Identifiers.secret()
        try await store.upsertClient(ClientRecord(clientID: id, secretHash: Identifiers.hashSecret(clientSecret), taxpayerRIN: taxpayerRIN, representedRINs: representing))
        return IssuedCredentials(taxpayerRIN: taxpayerRIN, clientID: id, clientSecret: clientSecret)
    }

    /// Registers a POS with its own client credentials and pre-shared key.
    public func addPOS(taxpayerRIN: String, serial: String, branchCode: String = "0", osVersion: String = "os", modelFramework: String = "1", activated: Bool = true, clientID: String? = nil, secret: String? = nil, presharedKey: String? = nil) async throws -> IssuedCredentials {
        var credentials = try await addClient(taxpayerRIN: taxpayerRIN, clientID: clientID, secret: secret)
        let psk = presharedKey ?? Hex.lowercase((0 ..< 16).map { _ in UInt8.random(in: 0 ... 255) })
        try await store.upsertPOS(POSRecord(serial: serial, taxpayerRIN: taxpayerRIN, branchCode: branchCode, osVersion: osVersion, modelFramework: modelFramework, presharedKey: psk, activated: activated))
        credentials.posSerial = serial
        credentials.posOSVersion = osVersion
        credentials.posModelFramework = modelFramework
        credentials.presharedKey = psk
        return credentials
    }

    /// The demo data: created when the registry is empty, credentials kept beside the database
    /// so every start can print them.
    public func seedDemo(credentialsFile: String) async throws -> [IssuedCredentials] {
        if try await store.taxpayers().isEmpty {
            _ = try await addTaxpayer(rin: "100000001", name: "Eisal Demo Trading")
            let erp = try await addClient(taxpayerRIN: "100000001")
            let pos = try await addPOS(taxpayerRIN: "100000001", serial: "DEMO-POS-1")
            let data = JSONWriter(indent: 2).bytes(try JSONValueEncoder().encode([erp, pos]))
            FileManager.default.createFile(atPath: credentialsFile, contents: Data(data), attributes: [.posixPermissions: 0o600])
        }
        guard let data = FileManager.default.contents(atPath: credentialsFile),
              let document = try? JSONParser().parse([UInt8](data)) else { return [] }
        return (try? JSONNodeDecoder().decode([IssuedCredentials].self, from: document.root)) ?? []
    }
}
