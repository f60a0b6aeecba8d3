// Files only their owner may read (tokens, private keys), written so that they are never
// readable by others, not even for a moment: created with mode 0600 under a unique temporary
// name, written, synced, then renamed over the target.

import Foundation

/// Writes owner-only files atomically.
public enum PrivateFile {
    /// Replaces `path` with `bytes`, readable and writable by the owner only.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
        let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard fd >= 0 else { throw PrivateFileError(path: path, errno: errno) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + written, $0.count - written) }
            guard n > 0 else {
                let failure = errno
                close(fd)
                unlink(temporary)
                throw PrivateFileError(path: path, errno: failure)
            }
            written += n
        }
        fsync(fd)
        close(fd)
        guard rename(temporary, path) == 0 else {
            let failure = errno
            unlink(temporary)
            throw PrivateFileError(path: path, errno: failure)
        }
    }
}

/// A private file could not be written.
public struct PrivateFileError: Error, CustomStringConvertible {
    /// The file.
    public let path: String
    /// The system's error number.
    public let errno: Int32
    public var description: String { "cannot write \(path): \(String(cString: strerror(errno)))" }
}
