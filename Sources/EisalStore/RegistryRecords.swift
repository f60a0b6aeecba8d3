// The registry's records: taxpayers, ERP clients, POS devices and what each POS sent at its last login.

import EisalCore

/// A registered taxpayer.
public struct TaxpayerRecord: Sendable, Hashable, Codable {
    /// 9-digit registration number.
    public var rin: String
    public var name: String
    public var nameArabic: String
    /// Whether the taxpayer carries the B2C tag (required to submit receipts).
    public var b2c: Bool
    /// Branch codes from the profile (head office `0`).
    public var branches: [String]
    public var activityCodes: [String]

    public init(rin: String, name: String, nameArabic: String = "", b2c: Bool = true, branches: [String] = ["0"], activityCodes: [String] = ["4620"]) {
        self.rin = rin
        self.name = name
        self.nameArabic = nameArabic
        self.b2c = b2c
        self.branches = branches
        self.activityCodes = activityCodes
    }
}

/// An ERP system (or POS credential set) allowed to call the APIs.
public struct ClientRecord: Sendable, Hashable, Codable {
    public var clientID: String
    /// `salt$sha256hex`: secrets are never stored in clear.
    public var secretHash: String
    /// The taxpayer the client belongs to.
    public var taxpayerRIN: String
    /// Other taxpayers this client may act for (intermediary permission).
    public var representedRINs: [String]
    public var blocked: Bool

    public init(clientID: String, secretHash: String, taxpayerRIN: String, representedRINs: [String] = [], blocked: Bool = false) {
        self.clientID = clientID
        self.secretHash = secretHash
        self.taxpayerRIN = taxpayerRIN
        self.representedRINs = representedRINs
        self.blocked = blocked
    }
}

/// A registered POS device.
public struct POSRecord: Sendable, Hashable, Codable {
    public var serial: String
    public var taxpayerRIN: String
    public var branchCode: String
    public var osVersion: String
    public var modelFramework: String
    public var presharedKey: String
    public var activated: Bool

    public init(serial: String, taxpayerRIN: String, branchCode: String = "0", osVersion: String = "os", modelFramework: String = "1", presharedKey: String, activated: Bool = true) {
        self.serial = serial
        self.taxpayerRIN = taxpayerRIN
        self.branchCode = branchCode
        self.osVersion = osVersion
        self.modelFramework = modelFramework
        self.presharedKey = presharedKey
        self.activated = activated
    }
}

/// What a POS sent in its last token call (spec/identity.md: the optional POS headers are not
/// compared by default, but recorded so an integrator can see what their client sends).
public struct POSLoginRecord: Sendable, Hashable, Codable {
    /// How the `presharedkey` header compared with the registered key.
    public enum PresharedKeyState: String, Sendable, Hashable, Codable, CaseIterable {
        /// No `presharedkey` header.
        case absent
        /// The header was sent empty.
        case empty
        /// The registered key.
        case matches
        /// The client id instead of the key (Odoo's POS module sends it).
        case clientID = "client-id"
        /// Any other value (not stored: it may be a secret of something else).
        case differs
    }

    public var serial: String
    public var clientID: String
    /// Seconds since the epoch.
    public var at: Int64
    /// `pososversion` as sent; nil when absent.
    public var osVersion: String?
    /// `posmodelframework` as sent; nil when absent.
    public var modelFramework: String?
    public var presharedKey: PresharedKeyState

    public init(serial: String, clientID: String, at: Int64, osVersion: String?, modelFramework: String?, presharedKey: PresharedKeyState) {
        self.serial = serial
        self.clientID = clientID
        self.at = at
        self.osVersion = osVersion
        self.modelFramework = modelFramework
        self.presharedKey = presharedKey
    }
}
