// The sandbox's signing CA (issue 18): created in `{data}/signing/` on first start, it issues
// seal certificates shaped like ETA's eSeal certificates (the RIN in organizationIdentifier as
// `VATEG-<RIN>`, key usage digitalSignature + nonRepudiation), so an integrator without a
// hardware token can sign documents that the sandbox accepts. Each seal is written as PEM
// (certificate, key) and as PKCS#12. Seal keys are P-256 by default (made at once; ETA's tokens
// hold RSA-2048 keys, which `eisal admin issue-certificate --key rsa` makes).

import _CryptoExtras
import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The sandbox CA that issues document-signing (seal) certificates.
public struct SandboxSigningAuthority: Sendable {
    /// The folder holding the CA and the seals.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The CA certificate integrators' signatures chain to (the platform trusts it).
    public var caCertificatePath: String { directory + "/ca.pem" }
    var caKeyPath: String { directory + "/ca-key.pem" }

    /// The key a seal is made with.
    public enum KeyKind: String, Sendable, CaseIterable {
        case p256, p384, rsa
    }

    /// The files of one seal.
    public struct Seal: Sendable, Hashable {
        /// The taxpayer's registration number.
        public let rin: String
        /// The certificate, PEM.
        public let certificatePath: String
        /// The private key, PEM (PKCS#8), readable by its owner only.
        public let keyPath: String
        /// Certificate, key and CA as PKCS#12.
        public let pkcs12Path: String
        /// The PKCS#12 file's passphrase.
        public let pkcs12Passphrase: String
    }

    /// The passphrase of seals' PKCS#12 files unless told otherwise.
    public static let defaultPassphrase = "eisal"

    /// The CA certificate, creating the CA on first use.
    @discardableResult
    public func authority(now: Date = Date()) throws -> Certificate {
        try localAuthority.loadOrCreate(now: now).0
    }

    var localAuthority: LocalCertificateAuthority {
        LocalCertificateAuthority(certificatePath: caCertificatePath, keyPath: caKeyPath, commonName: "Eisal sandbox sealing CA", backdating: Self.backdating + 86400)
    }

    /// How far back the CA and its seals are valid: documents are checked at their
    /// `dateTimeIssued`, which may lie before the sandbox's first start (by the submission
    /// window, 7 days by default and configurable), so a year covers any sensible window.
    public static let backdating: TimeInterval = 366 * 86400

    /// The seal of `rin`: the one on disk when it has more than 30 days left (and `reissue` is
    /// false), else a new one valid for two years (and from ``backdating`` back).
    public func seal(rin: String, name: String, key kind: KeyKind = .p256, passphrase: String = defaultPassphrase, reissue: Bool = false, now: Date = Date()) throws -> Seal {
        let (ca, caKey) = try localAuthority.loadOrCreate(now: now)
        let seal = Seal(rin: rin, certificatePath: directory + "/seal-\(rin).pem", keyPath: directory + "/seal-\(rin)-key.pem",
                        pkcs12Path: directory + "/seal-\(rin).p12", pkcs12Passphrase: passphrase)
        if !reissue, let text = try? String(contentsOfFile: seal.certificatePath, encoding: .utf8), let existing = try? Certificate(pemEncoded: text),
           existing.issuer == ca.subject, ca.publicKey.isValidSignature(existing.signature, for: existing), existing.notValidAfter > now + 30 * 86400,
           FileManager.default.fileExists(atPath: seal.keyPath), FileManager.default.fileExists(atPath: seal.pkcs12Path) {
            return seal
        }
        let (publicKey, keyPEM, keyDER): (Certificate.PublicKey, String, [UInt8]) = try {
            switch kind {
            case .p256:
                let k = P256.Signing.PrivateKey()
                return (.init(k.publicKey), k.pemRepresentation, Array(k.derRepresentation))
            case .p384:
                let k = P384.Signing.PrivateKey()
                return (.init(k.publicKey), k.pemRepresentation, Array(k.derRepresentation))
            case .rsa:
                let k = try _RSA.Signing.PrivateKey(keySize: .bits2048)
                return (.init(k.publicKey), k.pkcs8PEMRepresentation, Array(k.pkcs8DERRepresentation))
            }
        }()
        let subject = try DistinguishedName([
            RelativeDistinguishedName(RelativeDistinguishedName.Attribute(type: .RDNAttributeType.countryName, printableString: "EG")),
            RelativeDistinguishedName(RelativeDistinguishedName.Attribute(type: [2, 5, 4, 97], utf8String: "VATEG-\(rin)")),
            RelativeDistinguishedName(RelativeDistinguishedName.Attribute(type: .RDNAttributeType.organizationName, utf8String: name)),
            RelativeDistinguishedName(RelativeDistinguishedName.Attribute(type: .RDNAttributeType.commonName, utf8String: "\(name) (Eisal sandbox seal)")),
        ])
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now - Self.backdating, notValidAfter: now + 2 * 365 * 86400,
            issuer: ca.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, nonRepudiation: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: caKey
        )
        let certificatePEM = try certificate.serializeAsPEM().pemString
        try LocalCertificateAuthority.write(Array(keyPEM.utf8), to: seal.keyPath, secret: true)
        try LocalCertificateAuthority.write(Array(certificatePEM.utf8), to: seal.certificatePath, secret: false)
        var coder = DER.Serializer()
        try coder.serialize(certificate)
        var caCoder = DER.Serializer()
        try caCoder.serialize(ca)
        let bundle = NIOSSLPKCS12Bundle(
            certificateChain: [try NIOSSLCertificate(bytes: coder.serializedBytes, format: .der), try NIOSSLCertificate(bytes: caCoder.serializedBytes, format: .der)],
            privateKey: try NIOSSLPrivateKey(bytes: keyDER, format: .der)
        )
        try LocalCertificateAuthority.write(try bundle.serialize(passphrase: Array(passphrase.utf8)), to: seal.pkcs12Path, secret: true)
        return seal
    }
}
