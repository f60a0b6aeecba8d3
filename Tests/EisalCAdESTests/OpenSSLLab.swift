// A test CA made with the openssl command line, as an integrator would make one: a root, an
// intermediate, and seal certificates for given registration numbers, RSA or EC. Signatures are
// made with `openssl cms -sign -binary -cades`, so the verifier is tested against an
// independent implementation, and the project's signer is checked with `openssl cms -verify`.

import EisalTestSupport
import Foundation

struct OpenSSLLab {
    let directory: TemporaryDirectory

    enum KeyKind: String { case rsa, p256, p384 }

    init(_ label: String) throws {
        directory = try TemporaryDirectory("cades-\(label)")
        try write("ext.cnf", """
        [req]
        distinguished_name=dn
        [dn]
        [ca]
        basicConstraints=critical,CA:TRUE
        keyUsage=critical,keyCertSign,cRLSign
        subjectKeyIdentifier=hash
        authorityKeyIdentifier=keyid
        [leaf]
        basicConstraints=critical,CA:FALSE
        keyUsage=critical,digitalSignature,nonRepudiation
        subjectKeyIdentifier=hash
        authorityKeyIdentifier=keyid
        [tls]
        basicConstraints=critical,CA:FALSE
        keyUsage=critical,keyEncipherment
        """)
    }

    func file(_ name: String) -> String { directory.file(name) }

    func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: file(name))) }
    func write(_ name: String, bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: file(name))) }
    func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: file(name)))) }
    func text(_ name: String) throws -> String { try String(contentsOfFile: file(name), encoding: .utf8) }

    /// Runs openssl in the lab directory; throws with its output when it fails.
    @discardableResult
    func openssl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw LabError(message: "openssl \(arguments.joined(separator: " ")) failed: \(text)") }
        return text
    }

    struct LabError: Error, CustomStringConvertible { let message: String; var description: String { message } }

    func newKey(_ name: String, _ kind: KeyKind) throws {
        switch kind {
        case .rsa: try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", name])
        case .p256: try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name])
        case .p384: try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", name])
        }
    }

    /// A self-signed root `name.pem` / `name.key`.
    func root(_ name: String, kind: KeyKind = .rsa) throws {
        try newKey("\(name).key", kind)
        try openssl(["req", "-x509", "-new", "-key", "\(name).key", "-out", "\(name).pem", "-days", "3650", "-subj", "/CN=\(name)/O=Eisal tests",
                     "-config", "ext.cnf", "-extensions", "ca"])
    }

    /// A certificate `name.pem` / `name.key` issued by `issuer`, valid `days` days from now.
    func issue(_ name: String, by issuer: String, subject: String, kind: KeyKind = .rsa, profile: String = "leaf", days: Int = 365) throws {
        try newKey("\(name).key", kind)
        try openssl(["req", "-new", "-key", "\(name).key", "-out", "\(name).csr", "-subj", subject, "-config", "ext.cnf"])
        try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "\(issuer).pem", "-CAkey", "\(issuer).key", "-CAcreateserial",
                     "-out", "\(name).pem", "-days", "\(days)", "-extfile", "ext.cnf", "-extensions", profile])
    }

    /// A seal certificate subject naming `rin` the way eSeal certificates do.
    static func sealSubject(rin: String, name: String = "Seal") -> String {
        "/CN=\(name)/O=Taxpayer \(rin)/organizationIdentifier=VATEG-\(rin)/C=EG"
    }

    /// `openssl cms -sign -cades` over `content`; returns the DER.
    func sign(_ content: [UInt8], signer: String, chain: String? = nil, detached: Bool = true, md: String = "sha256", keyopts: [String] = []) throws -> [UInt8] {
        try write("content.bin", bytes: content)
        var arguments = ["cms", "-sign", "-binary", "-cades", "-md", md, "-in", "content.bin", "-signer", "\(signer).pem", "-inkey", "\(signer).key",
                         "-outform", "DER", "-out", "signature.der"]
        if !detached { arguments.append("-nodetach") } // detached is openssl cms's default
        if let chain { arguments += ["-certfile", "\(chain).pem"] }
        for option in keyopts { arguments += ["-keyopt", option] }
        try openssl(arguments)
        return try read("signature.der")
    }

    /// `openssl cms -verify` of a detached DER signature over `content` against `caFile`.
    func verify(_ signature: [UInt8], content: [UInt8], caFile: String) throws -> String {
        try write("content.bin", bytes: content)
        try write("to-verify.der", bytes: signature)
        return try openssl(["cms", "-verify", "-binary", "-inform", "DER", "-in", "to-verify.der", "-content", "content.bin", "-CAfile", caFile, "-purpose", "any", "-out", "/dev/null"])
    }
}
