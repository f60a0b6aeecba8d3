// CAdES-BES verification of an ETA document signature (spec/serialization.md "Document hash for
// signing", spec/documents-api.md): a Base64 CMS SignedData whose signed attributes carry the
// SHA-256 of the document's canonical text (without `signatures`), made with a certificate that
// chains to a trust anchor, was valid when the document was issued, and names the issuer's RIN.
//
// Every check is reported, not only the first failure, so an integrator sees everything that is
// wrong at once; checks that depend on a failed one are reported as skipped.
//
// What real signers send, all accepted: eContentType id-data (openssl, BouncyCastle) or
// id-digestedData (ETA's reference .NET signer); detached content, or the canonical text
// encapsulated (`-nodetach`); DER or BER; the signer named by issuer and serial or by subject key
// identifier; signing-certificate-v2 with any accepted hash, and the ETA reference signer's
// quirk of naming the attribute's own OID (1.2.840.113549.1.9.16.2.47) as the hash algorithm,
// read as the default SHA-256 (the hash that signer actually uses); signing-certificate (v1,
// SHA-1 hash) as CAdES allows.

import Crypto
import EisalCore
import Foundation
import SwiftASN1
import X509

/// The content a signature is checked against: the document's canonical text.
public struct SignedContent: Sendable {
    /// SHA-256 of the canonical text: for documents, the document's UUID as bytes.
    public let sha256: [UInt8]
    /// The canonical text itself, asked for only when another digest or an encapsulated content
    /// has to be compared.
    public let bytes: @Sendable () -> [UInt8]

    /// Content known by its bytes.
    public init(bytes: [UInt8]) {
        self.sha256 = Array(SHA256.hash(data: bytes))
        self.bytes = { bytes }
    }

    /// Content known by its SHA-256, with its bytes computed on demand.
    public init(sha256: [UInt8], bytes: @escaping @Sendable () -> [UInt8]) {
        self.sha256 = sha256
        self.bytes = bytes
    }
}

/// The outcome of verifying one signature: every check, in order.
public struct CAdESReport: Sendable {
    /// One check and what it found.
    public struct Check: Sendable {
        /// The check's name, e.g. `message digest`.
        public let name: String
        /// What it found.
        public let outcome: Outcome
    }

    /// A check's outcome.
    public enum Outcome: Sendable {
        /// Passed, with what it found.
        case passed(String)
        /// Failed, with the error.
        case failed(CAdESError)
        /// Not run, and why (e.g. a check it depends on failed).
        case skipped(String)
    }

    /// The checks in the order they ran.
    public internal(set) var checks: [Check] = []
    /// The signer's certificate, when it was found.
    public internal(set) var signerCertificate: Certificate?
    /// The `message-digest` the signer signed, when it could be read.
    public internal(set) var signedDigest: [UInt8]?
    /// The digest algorithm the signer used for it.
    public internal(set) var digestAlgorithmName: String?
    /// The `signing-time` the signer claimed, when present.
    public internal(set) var signingTime: Date?

    /// The failures, one per failed check.
    public var failures: [CAdESError] {
        checks.compactMap { if case .failed(let e) = $0.outcome { e } else { nil } }
    }

    /// Whether every check passed.
    public var isValid: Bool { failures.isEmpty && !checks.isEmpty }

    mutating func pass(_ name: String, _ detail: String) { checks.append(Check(name: name, outcome: .passed(detail))) }
    mutating func fail(_ name: String, _ error: CAdESError) { checks.append(Check(name: name, outcome: .failed(error))) }
    mutating func skip(_ name: String, _ why: String) { checks.append(Check(name: name, outcome: .skipped(why))) }
}

/// Verifies CAdES-BES signatures over canonical document text.
public struct CAdESVerifier: Sendable {
    /// The anchors (and caches) signatures must chain to.
    public let trust: TrustStore

    /// A verifier whose signatures must chain to `trust`.
    public init(trust: TrustStore) {
        self.trust = trust
    }

    /// The check names, in report order.
    public static let checkNames = ["decode", "content type", "message digest", "signer certificate", "signing certificate attribute",
                                    "signature", "certificate chain", "key usage", "validity", "registration number"]

    /// Verifies `value` (Base64 CMS, as in a document's `signatures[].value`) against `content`.
    /// - Parameters:
    ///   - at: the document's `dateTimeIssued`; every certificate of the path must be valid then.
    ///   - rin: the registration number the signer certificate must name, or nil not to check.
    public func verify(_ value: String, content: SignedContent, at date: Date, rin: String?) -> CAdESReport {
        var report = CAdESReport()
        let signedData: SignedData
        do {
            signedData = try SignedData(berEncoded: try Self.decodeBase64(value))
            report.pass("decode", "CMS SignedData with \(signedData.signerInfos.count) signer(s) and \(signedData.certificates.count) certificate(s)")
        } catch {
            report.fail("decode", error as? CAdESError ?? .malformed("\(error)"))
            for name in Self.checkNames.dropFirst() { report.skip(name, "the signature could not be read") }
            return report
        }
        let signer = signedData.signerInfos[0]
        check(signedData, signer, content: content, at: date, rin: rin, into: &report)
        return report
    }

    private func check(_ signedData: SignedData, _ signer: SignerInfo, content: SignedContent, at date: Date, rin: String?, into report: inout CAdESReport) {
        // content type
        let contentType = signer.attribute(OID.contentTypeAttribute).flatMap { $0.values.first }.flatMap { try? ASN1ObjectIdentifier(berEncoded: $0) }
        if ![OID.data, OID.digestedData].contains(signedData.encapsulatedContentType) {
            report.fail("content type", CAdESError(.contentTypeMismatch, "The encapsulated content type is \(signedData.encapsulatedContentType); id-data or id-digestedData is expected."))
        } else if contentType == nil {
            report.fail("content type", CAdESError(.missingAttribute, "The signed attributes have no content-type (1.2.840.113549.1.9.3)."))
        } else if contentType != signedData.encapsulatedContentType {
            report.fail("content type", CAdESError(.contentTypeMismatch, "The content-type attribute (\(contentType!)) differs from the encapsulated content type (\(signedData.encapsulatedContentType))."))
        } else {
            report.pass("content type", "\(signedData.encapsulatedContentType)")
        }

        // message digest
        var digest: DigestAlgorithm?
        do {
            let algorithm = try DigestAlgorithm(signer.digestAlgorithm, what: "The digest algorithm")
            digest = algorithm
            report.digestAlgorithmName = algorithm.rawValue
            guard let node = signer.attribute(OID.messageDigestAttribute)?.values.first else {
                throw CAdESError(.missingAttribute, "The signed attributes have no message-digest (1.2.840.113549.1.9.4).")
            }
            let signed = try BERNodes.octets(node, what: "message-digest")
            report.signedDigest = signed
            let expected = algorithm == .sha256 ? content.sha256 : algorithm.hash(content.bytes())
            if let encapsulated = signedData.encapsulatedContent, encapsulated != content.bytes() {
                throw CAdESError(.digestMismatch, "The signature encapsulates \(encapsulated.count) bytes of content that are not this document's canonical text.")
            }
            guard signed == expected else {
                throw CAdESError(.digestMismatch, "The signed message-digest is \(Self.hex(signed)), but \(algorithm.rawValue) of this document's canonical text is \(Self.hex(expected)).")
            }
            report.pass("message digest", "\(algorithm.rawValue) \(Self.hex(signed))")
        } catch {
            report.fail("message digest", error as? CAdESError ?? .malformed("\(error)"))
        }
        if let node = signer.attribute(OID.signingTimeAttribute)?.values.first {
            report.signingTime = Self.time(node)
        }

        // signer certificate
        var pool: [TrustStore.CertificateEntry] = []
        for der in signedData.certificates {
            do { pool.append(try trust.certificate(der: der)) } catch {
                report.fail("signer certificate", error as? CAdESError ?? .malformed("\(error)"))
                for name in Self.checkNames.drop(while: { $0 != "signer certificate" }).dropFirst() { report.skip(name, "an embedded certificate could not be read") }
                return
            }
        }
        guard let signerEntry = pool.first(where: { signer.identifier.matches($0.certificate) }) else {
            report.fail("signer certificate", CAdESError(.signerCertificateMissing, pool.isEmpty
                ? "The signature carries no certificate; the signer's certificate must be included."
                : "None of the \(pool.count) included certificate(s) is the one the SignerInfo names."))
            for name in Self.checkNames.drop(while: { $0 != "signer certificate" }).dropFirst() { report.skip(name, "no signer certificate") }
            return
        }
        let certificate = signerEntry.certificate
        report.signerCertificate = certificate
        report.pass("signer certificate", signerEntry.subject)

        // signing-certificate-v2 (or v1)
        do {
            report.pass("signing certificate attribute", try Self.checkSigningCertificate(signer, entry: signerEntry))
        } catch {
            report.fail("signing certificate attribute", error as? CAdESError ?? .malformed("\(error)"))
        }

        // signature
        if let digest {
            do {
                let valid = try SignatureCheck.verify(signature: signer.signature, over: signer.signedAttributesBytes, algorithm: signer.signatureAlgorithm, digest: digest, key: certificate.publicKey)
                if valid {
                    report.pass("signature", "\(certificate.publicKey) over the signed attributes")
                } else {
                    report.fail("signature", CAdESError(.signatureInvalid, "The signature over the signed attributes does not verify with the key of \"\(signerEntry.subject)\" (were the attributes changed after signing, or signed with another key?)."))
                }
            } catch {
                report.fail("signature", error as? CAdESError ?? .malformed("\(error)"))
            }
        } else {
            report.skip("signature", "the digest algorithm is not accepted")
        }

        // chain, key usage, validity
        let path = trust.path(leaf: signerEntry, pool: pool)
        switch path {
        case .failure(let error):
            report.fail("certificate chain", error)
        case .success(let path):
            report.pass("certificate chain", path.description)
        }
        let usage = Result { try certificate.extensions.keyUsage }
        if case .failure = usage {
            report.fail("key usage", CAdESError(.certificateNotForSigning, "The certificate's key usage extension cannot be read."))
        } else if case .success(let usage?) = usage, !usage.digitalSignature, !usage.nonRepudiation {
            report.fail("key usage", CAdESError(.certificateNotForSigning, "The certificate's key usage allows neither digitalSignature nor nonRepudiation."))
        } else {
            report.pass("key usage", "signing allowed")
        }
        let pathForDates: [Certificate] = (try? path.get().certificates) ?? [certificate]
        if let expired = pathForDates.first(where: { date > $0.notValidAfter }) {
            report.fail("validity", CAdESError(.certificateExpired, "\"\(expired.subject)\" expired on \(Self.iso(expired.notValidAfter)), before the document's date \(Self.iso(date))."))
        } else if let early = pathForDates.first(where: { date < $0.notValidBefore }) {
            report.fail("validity", CAdESError(.certificateNotYetValid, "\"\(early.subject)\" is valid only from \(Self.iso(early.notValidBefore)), after the document's date \(Self.iso(date))."))
        } else {
            report.pass("validity", "valid on \(Self.iso(date)) (until \(Self.iso(certificate.notValidAfter)))")
        }

        // registration number
        if let rin {
            let named = signerEntry.registrationNumbers
            if named.contains(rin) {
                report.pass("registration number", rin)
            } else {
                report.fail("registration number", CAdESError(.rinMismatch, named.isEmpty
                    ? "The certificate \"\(certificate.subject)\" names no registration number; the issuer's is \(rin)."
                    : "The certificate names registration number \(named.sorted().joined(separator: ", ")), but the document's issuer is \(rin)."))
            }
        } else {
            report.skip("registration number", "no registration number to compare")
        }
    }

    /// Checks signing-certificate-v2 (RFC 5035) or signing-certificate (RFC 2634) against the signer's certificate.
    static func checkSigningCertificate(_ signer: SignerInfo, entry: TrustStore.CertificateEntry) throws -> String {
        let der = entry.der, certificate = entry.certificate
        let v2 = signer.attribute(OID.signingCertificateV2)
        guard let attribute = v2 ?? signer.attribute(OID.signingCertificate), let value = attribute.values.first else {
            throw CAdESError(.missingAttribute, "The signed attributes have neither signing-certificate-v2 (1.2.840.113549.1.9.16.2.47) nor signing-certificate; CAdES-BES requires one.")
        }
        // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies OPTIONAL }
        let outer = try BERNodes.children(of: value, .sequence, what: "SigningCertificate")
        guard let certs = outer.first else { throw CAdESError.malformed("SigningCertificate has no certs.") }
        let ids = try BERNodes.children(of: certs, .sequence, what: "SigningCertificate.certs")
        guard let first = ids.first else { throw CAdESError(.signingCertificateMismatch, "The signing-certificate attribute lists no certificate.") }
        // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash OCTET STRING, issuerSerial OPTIONAL }
        // ESSCertID   ::= SEQUENCE { certHash OCTET STRING (SHA-1), issuerSerial OPTIONAL }
        var members = try BERNodes.children(of: first, .sequence, what: "ESSCertID")
        var hashName = "SHA-256"
        var computed: [UInt8]
        if v2 != nil {
            if let head = members.first, head.identifier == .sequence {
                let algorithm = try AlgorithmIdentifier(head)
                members.removeFirst()
                if algorithm.algorithm == OID.signingCertificateV2 {
                    hashName = "SHA-256 (named by the attribute's own OID, as ETA's reference signer writes it)"
                    computed = entry.sha256
                } else {
                    let hash = try DigestAlgorithm(algorithm, what: "The signing-certificate-v2 hash")
                    hashName = hash.rawValue
                    computed = hash.hash(der)
                }
            } else {
                computed = entry.sha256
            }
        } else {
            hashName = "SHA-1 (signing-certificate v1)"
            computed = Array(Insecure.SHA1.hash(data: der))
        }
        guard let hashNode = members.first else { throw CAdESError.malformed("ESSCertID has no certHash.") }
        let certHash = try BERNodes.octets(hashNode, what: "certHash")
        guard certHash == computed else {
            throw CAdESError(.signingCertificateMismatch, "The signing-certificate attribute names a certificate whose \(hashName) is \(hex(certHash)); the signer's certificate \"\(entry.subject)\" hashes to \(hex(computed)).")
        }
        if members.count > 1 {
            // IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber INTEGER }
            let issuerSerial = try BERNodes.children(of: members[1], .sequence, what: "IssuerSerial")
            if issuerSerial.count >= 2, case .primitive(let serial) = issuerSerial[1].content, !BERNodes.integer(serial, equalsUnsigned: certificate.serialNumber.bytes) {
                throw CAdESError(.signingCertificateMismatch, "The signing-certificate attribute names serial number \(hex(Array(serial))), not the signer's \(certificate.serialNumber).")
            }
        }
        return "\(hashName) of the signer's certificate"
    }

    /// Base64 as sent, tolerating line breaks and spaces (some signers wrap at 64 or 76 columns).
    static func decodeBase64(_ value: String) throws -> [UInt8] {
        var compact = value.utf8.filter { $0 != 0x0A && $0 != 0x0D && $0 != 0x20 && $0 != 0x09 }
        guard !compact.isEmpty else { throw CAdESError.malformed("The signature value is empty.") }
        guard compact.count <= SignedData.maximumBytes * 4 / 3 + 4 else {
            throw CAdESError.malformed("The signature value is \(compact.count) characters; at most \(SignedData.maximumBytes) bytes are accepted.")
        }
        // Missing padding is tolerated (added back); the URL-safe alphabet is not Base64 as the contract uses it.
        while compact.count % 4 != 0 { compact.append(UInt8(ascii: "=")) }
        guard let data = Data(base64Encoded: Data(compact)) else {
            throw CAdESError.malformed("The signature value is not Base64.")
        }
        return Array(data)
    }

    static func time(_ node: ASN1Node) -> Date? {
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        if let t = try? UTCTime(berEncoded: node) {
            (components.year, components.month, components.day, components.hour, components.minute, components.second) = (t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        } else if let t = try? GeneralizedTime(berEncoded: node) {
            (components.year, components.month, components.day, components.hour, components.minute, components.second) = (t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        } else {
            return nil
        }
        return Calendar(identifier: .gregorian).date(from: components)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func iso(_ date: Date) -> String {
        UTCDateTime(secondsSinceEpoch: Int64(date.timeIntervalSince1970.rounded(.down))).iso8601
    }
}

/// Where a certificate names a taxpayer's registration number (RIN).
///
/// Every public ETA seal certificate (MCDR 2019, Egypt Trust Sealing CA, Egypt Trust CA G6 and
/// their test CAs) puts it in `organizationIdentifier` (2.5.4.97) as `VATEG-` and the 9 digits;
/// `serialNumber` (2.5.4.5) is read too, since other national schemes put organisation numbers
/// there. Other attributes (a `TAX ID - …` unit, a national ID) are not read.
public enum RegistrationNumbers {
    static let organizationIdentifier: ASN1ObjectIdentifier = [2, 5, 4, 97]
    static let serialNumber: ASN1ObjectIdentifier = [2, 5, 4, 5]

    /// The runs of 9 or more digits in the subject's organizationIdentifier and serialNumber.
    public static func named(by subject: DistinguishedName) -> Set<String> {
        var out: Set<String> = []
        for rdn in subject {
            for attribute in rdn where attribute.type == organizationIdentifier || attribute.type == serialNumber {
                let text = String(attribute.value) ?? attribute.value.description
                for run in text.split(whereSeparator: { !$0.isASCII || !$0.isNumber }) where run.count >= 9 {
                    out.insert(String(run))
                }
            }
        }
        return out
    }
}
