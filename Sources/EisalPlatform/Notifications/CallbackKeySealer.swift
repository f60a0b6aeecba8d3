// A callback's API key must be sent in clear (`Authorization: ApiKey <key>`), so it cannot be
// hashed like client secrets. It is stored sealed with AES-GCM under a key kept outside the
// database: from configuration (`notify.key`, shared by every node), or in `{data}/callback.key`
// (mode 0600) beside the SQLite file. A dump of the database alone does not reveal API keys.

import Crypto
import Foundation

/// Seals and opens callbacks' API keys.
struct CallbackKeySealer: Sendable {
    let key: SymmetricKey

    /// The configured key, or the one in `directory/callback.key` (created when missing).
    static func load(configured: String?, directory: String) throws -> CallbackKeySealer {
        if let configured {
            guard let bytes = Data(base64Encoded: configured), bytes.count == 32 else {
                throw ConfigurationError("notify.key must be the Base64 text of 32 bytes.")
            }
            return CallbackKeySealer(key: SymmetricKey(data: bytes))
        }
        let path = directory + "/callback.key"
        if let text = FileManager.default.contents(atPath: path), let bytes = Data(base64Encoded: text.trimmingWhitespace()), bytes.count == 32 {
            return CallbackKeySealer(key: SymmetricKey(data: bytes))
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() }
        // Created exclusively: a node starting at the same moment reads the winner's key.
        if !FileManager.default.createFile(atPath: path + ".tmp", contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) {
            throw ConfigurationError("cannot write \(path)")
        }
        if link(path + ".tmp", path) != 0 {
            try? FileManager.default.removeItem(atPath: path + ".tmp")
            return try load(configured: nil, directory: directory)
        }
        try? FileManager.default.removeItem(atPath: path + ".tmp")
        return CallbackKeySealer(key: key)
    }

    func seal(_ apiKey: String) throws -> [UInt8] {
        guard let combined = try AES.GCM.seal(Data(apiKey.utf8), using: key).combined else { throw CallbackKeyError() }
        return [UInt8](combined)
    }

    func open(_ sealed: [UInt8]) throws -> String {
        let box = try AES.GCM.SealedBox(combined: Data(sealed))
        return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
    }
}

/// A sealed API key that cannot be opened (the sealing key changed).
struct CallbackKeyError: Error, CustomStringConvertible {
    var description: String { "the callback's API key cannot be opened with this node's sealing key (notify.key / callback.key)" }
}

extension Data {
    fileprivate func trimmingWhitespace() -> Data {
        Data(String(decoding: self, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
    }
}
