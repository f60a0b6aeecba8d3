// The sandbox's own certificate authority, for HTTPS without a purchased certificate: created once
// in `{data}/tls/` (`ca.pem`, `ca-key.pem`), it issues the server certificate (`server.pem`,
// `server-key.pem`) for the host names clients use. An integrator trusts `ca.pem` once and can then
// point an unmodified client at Eisal by its real host names (see docs/platform.md "HTTPS").
// ECDSA P-256 keys and SHA-256 signatures; the server certificate lives 397 days (the longest
// that every TLS client accepts) and is issued again when it nears its end or the names change.

import Crypto
import EisalCore
import Foundation
import SwiftASN1
import X509

/// A local CA that issues the sandbox's TLS server certificate.
public struct SandboxCertificateAuthority: Sendable {
    /// Host names put in the server certificate unless told otherwise: loopback, and ETA's
    /// pre-production identity, API and portal hosts (spec/identity.md), so that a client whose
    /// hosts file points them at Eisal works unchanged.
    public static let defaultHosts = ["localhost", "127.0.0.1", "::1", "id.preprod.eta.gov.eg", "api.preprod.invoicing.eta.gov.eg", "preprod.invoicing.eta.gov.eg"]

    /// The folder holding the CA and the server certificate.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    var caCertificatePath: String { directory + "/ca.pem" }
    var caKeyPath: String { directory + "/ca-key.pem" }
    var serverCertificatePath: String { directory + "/server.pem" }
    var serverKeyPath: String { directory + "/server-key.pem" }

    /// The TLS files for `hosts`, creating the CA and (re)issuing the server certificate as needed.
    public func serverSettings(hosts: [String] = defaultHosts, now: Date = Date()) throws -> TLSSettings {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (ca, caKey) = try loadOrCreateCA(now: now)
        if try !serverCertificateFits(hosts: hosts, issuer: ca, now: now) {
            let key = P256.Signing.PrivateKey()
            let certificate = try Self.serverCertificate(hosts: hosts, publicKey: .init(key.publicKey), issuer: ca, issuerKey: caKey, now: now)
            try Self.write(key.pemRepresentation, to: serverKeyPath, secret: true)
            try Self.write(try certificate.serializeAsPEM().pemString, to: serverCertificatePath, secret: false)
        }
        return TLSSettings(certificateChainPath: serverCertificatePath, privateKeyPath: serverKeyPath, trustAnchorPath: caCertificatePath)
    }

    func loadOrCreateCA(now: Date) throws -> (Certificate, Certificate.PrivateKey) {
        try LocalCertificateAuthority(certificatePath: caCertificatePath, keyPath: caKeyPath, commonName: "Eisal sandbox CA").loadOrCreate(now: now)
    }

    /// Whether the server certificate on disk was issued by `issuer` for exactly `hosts` and has
    /// more than 30 days left.
    func serverCertificateFits(hosts: [String], issuer: Certificate, now: Date) throws -> Bool {
        guard FileManager.default.fileExists(atPath: serverKeyPath),
              let text = try? String(contentsOfFile: serverCertificatePath, encoding: .utf8),
              let certificate = try? Certificate(pemEncoded: text) else { return false }
        guard certificate.issuer == issuer.subject, certificate.notValidAfter > now + 30 * 86400,
              let names = try certificate.extensions.subjectAlternativeNames else { return false }
        return Set(names) == Set(try hosts.map(Self.generalName))
    }

    static func serverCertificate(hosts: [String], publicKey: Certificate.PublicKey, issuer: Certificate, issuerKey: Certificate.PrivateKey, now: Date) throws -> Certificate {
        let subject = try DistinguishedName {
            CommonName(hosts.first ?? "localhost")
            OrganizationName("Eisal sandbox")
        }
        return try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now - 3600, notValidAfter: now + 397 * 86400,
            issuer: issuer.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(try hosts.map(generalName))
            },
            issuerPrivateKey: issuerKey
        )
    }

    /// A DNS name, or an IP address when `host` is one.
    static func generalName(_ host: String) throws -> GeneralName {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(withUnsafeBytes(of: &v4) { Array($0) })))
        }
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(withUnsafeBytes(of: &v6) { Array($0) })))
        }
        return .dnsName(host)
    }

    static func write(_ text: String, to path: String, secret: Bool) throws {
        try LocalCertificateAuthority.write(Array(text.utf8), to: path, secret: secret)
    }
}

/// A certificate authority kept as two PEM files, created on first use: a P-256 key and a
/// self-signed certificate of 10 years that may issue end-entity certificates only.
struct LocalCertificateAuthority {
    let certificatePath: String
    let keyPath: String
    let commonName: String
    /// How far before its creation the CA is valid (a signing CA must cover documents dated
    /// before the sandbox first started).
    var backdating: TimeInterval = 3600

    func loadOrCreate(now: Date) throws -> (Certificate, Certificate.PrivateKey) {
        if FileManager.default.fileExists(atPath: certificatePath), FileManager.default.fileExists(atPath: keyPath) {
            let certificate = try Certificate(pemEncoded: try String(contentsOfFile: certificatePath, encoding: .utf8))
            let key = try Certificate.PrivateKey(pemEncoded: try String(contentsOfFile: keyPath, encoding: .utf8))
            return (certificate, key)
        }
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName(commonName)
            OrganizationName("Eisal (not the Egyptian Tax Authority)")
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now - backdating, notValidAfter: now + 10 * 365 * 86400,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            },
            issuerPrivateKey: .init(key)
        )
        try FileManager.default.createDirectory(atPath: (certificatePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Self.write(Array(key.pemRepresentation.utf8), to: keyPath, secret: true)
        try Self.write(Array(try certificate.serializeAsPEM().pemString.utf8), to: certificatePath, secret: false)
        return (certificate, .init(key))
    }

    /// Writes a file, readable by its owner only when `secret`.
    static func write(_ bytes: [UInt8], to path: String, secret: Bool) throws {
        if secret {
            do { try PrivateFile.write(bytes, to: path) } catch { throw TLSSettingsError(message: "\(error)") }
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o644]) else {
            throw TLSSettingsError(message: "cannot write \(path)")
        }
    }
}
