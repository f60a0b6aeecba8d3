import ArgumentParser
import EisalCore
import EisalPlatform
import EisalStore
import Foundation

/// `eisal admin …`: the registry, directly on the database file.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add and list taxpayers, ERP clients and POS devices; register notification callbacks.",
        subcommands: [AddTaxpayer.self, AddClient.self, AddPOS.self, List.self, Callback.self, IssueCertificate.self]
    )

    /// Runs `body` with the registry of the database `options` name (SQLite file or PostgreSQL).
    static func withRegistry<T: Sendable>(_ options: DatabaseOptions, _ body: (any RegistryAdministration) async throws -> T) async throws -> T {
        try await withStore(try options.store()) { store in try await body(registry(store)) }
    }

    static func registry(_ store: some PlatformStore) -> any RegistryAdministration { RegistryService(store: store) }

    static func show(_ credentials: IssuedCredentials) throws {
        print(JSONWriter(indent: 2).string(try JSONValueEncoder().encode(credentials)))
    }

    struct IssueCertificate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-certificate",
            abstract: "Issue a document-signing (seal) certificate from the sandbox signing CA in {data}/signing/ (created when absent); print its files.",
            discussion: "Writes seal-RIN.pem (certificate), seal-RIN-key.pem (PKCS#8 key, owner-only) and seal-RIN.p12 (PKCS#12 with the CA). The sandbox platform trusts this CA; sign with `eisal document sign FILE --cert … --key …`."
        )
        @OptionGroup var database: DatabaseOptions
        @Option(help: "The taxpayer's 9-digit registration number (put in organizationIdentifier as VATEG-RIN).") var rin: String
        @Option(help: "The name in the certificate.") var name: String?
        @Option(help: "Key: p256, p384 or rsa (2048 bits, as ETA's tokens).") var key: String = "p256"
        @Option(help: "The PKCS#12 passphrase.") var passphrase = SandboxSigningAuthority.defaultPassphrase
        @Flag(help: "Issue a new certificate even when one with more than 30 days left exists.") var reissue = false

        func run() throws {
            guard rin.count == 9, rin.allSatisfy(\.isNumber) else { throw ValidationError("--rin must be 9 digits") }
            guard let kind = SandboxSigningAuthority.KeyKind(rawValue: key) else { throw ValidationError("--key must be p256, p384 or rsa") }
            let authority = SandboxSigningAuthority(directory: try database.store().dataDirectory + "/signing")
            let seal = try authority.seal(rin: rin, name: name ?? "Taxpayer \(rin)", key: kind, passphrase: passphrase, reissue: reissue)
            print(JSONWriter(indent: 2).string(.object([
                ("rin", .string(seal.rin)), ("certificate", .string(seal.certificatePath)), ("key", .string(seal.keyPath)),
                ("pkcs12", .string(seal.pkcs12Path)), ("pkcs12Passphrase", .string(seal.pkcs12Passphrase)), ("ca", .string(authority.caCertificatePath)),
            ])))
        }
    }

    struct AddTaxpayer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-taxpayer", abstract: "Register a taxpayer.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "9-digit registration number.") var rin: String
        @Option(help: "Name.") var name: String
        @Flag(inversion: .prefixedNo, help: "B2C tag (needed to submit receipts).") var b2c = true
        @Option(help: "Branch codes, comma-separated.") var branches = "0"
        @Option(help: "Activity codes, comma-separated.") var activities = "4620"

        func run() async throws {
            let record = try await Admin.withRegistry(database) { try await $0.addTaxpayer(rin: rin, name: name, b2c: b2c, branches: branches.split(separator: ",").map(String.init), activityCodes: activities.split(separator: ",").map(String.init)) }
            print(JSONWriter(indent: 2).string(try JSONValueEncoder().encode(record)))
        }
    }

    struct AddClient: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-client", abstract: "Register an ERP client (prints its secret once).")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Owning taxpayer's RIN.") var rin: String
        @Option(help: "Taxpayers it may act for (intermediary), comma-separated.") var representing = ""

        func run() async throws {
            try Admin.show(try await Admin.withRegistry(database) { try await $0.addClient(taxpayerRIN: rin, clientID: nil, secret: nil, representing: representing.split(separator: ",").map(String.init)) })
        }
    }

    struct AddPOS: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-pos", abstract: "Register a POS device with its own credentials and pre-shared key.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Owning taxpayer's RIN.") var rin: String
        @Option(help: "POS serial.") var serial: String
        @Option(help: "Branch code.") var branch = "0"
        @Option(help: "OS version.") var osVersion = "os"
        @Option(help: "Model framework.") var modelFramework = "1"
        @Flag(inversion: .prefixedNo, help: "Activated.") var activated = true

        func run() async throws {
            try Admin.show(try await Admin.withRegistry(database) {
                try await $0.addPOS(taxpayerRIN: rin, serial: serial, branchCode: branch, osVersion: osVersion, modelFramework: modelFramework, activated: activated, clientID: nil, secret: nil,
                               presharedKey: nil)
            })
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List taxpayers, clients and POS devices.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await withStore(try database.store()) { store in try await Self.list(store) }
        }

        static func list(_ store: any PlatformStore) async throws {
            for t in try await store.taxpayers() { print("taxpayer \(t.rin)  \(t.name)  b2c=\(t.b2c)  branches=\(t.branches.joined(separator: ","))") }
            for c in try await store.clients() { print("client   \(c.clientID)  taxpayer=\(c.taxpayerRIN)\(c.representedRINs.isEmpty ? "" : "  representing=\(c.representedRINs.joined(separator: ","))")") }
            let logins = Dictionary(try await store.posLogins().map { ($0.serial, $0) }, uniquingKeysWith: { a, _ in a })
            for p in try await store.posDevices() {
                var line = "pos      \(p.serial)  taxpayer=\(p.taxpayerRIN)  branch=\(p.branchCode)  activated=\(p.activated)"
                if let l = logins[p.serial] {
                    line += "  last login: pososversion=\(l.osVersion.map { "'\($0)'" } ?? "absent") posmodelframework=\(l.modelFramework.map { "'\($0)'" } ?? "absent") presharedkey=\(l.presharedKey.rawValue)"
                }
                print(line)
            }
        }
    }
}

/// What the admin commands use of ``RegistryService`` (whatever its store).
protocol RegistryAdministration: Sendable {
    func addTaxpayer(rin: String, name: String, b2c: Bool, branches: [String], activityCodes: [String]) async throws -> TaxpayerRecord
    func addClient(taxpayerRIN: String, clientID: String?, secret: String?, representing: [String]) async throws -> IssuedCredentials
    func addPOS(taxpayerRIN: String, serial: String, branchCode: String, osVersion: String, modelFramework: String, activated: Bool, clientID: String?, secret: String?,
                presharedKey: String?) async throws -> IssuedCredentials
}

extension RegistryService: RegistryAdministration {}
