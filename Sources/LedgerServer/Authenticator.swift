import Foundation
import Hummingbird
import Synchronization

/// Checks a request's bearer token against the auth file, re-reading the file when it changes
/// (so a revocation takes effect on the next request, without a restart).
final class Authenticator: Sendable {
  private struct Loaded {
    var file: AuthFile
    var stamp: Stamp?
  }

  private struct Stamp: Equatable {
    var modified: Date
    var size: Int
  }

  let path: String
  private let loaded: Mutex<Loaded>

  /// Reads the auth file now, so that a server never starts with an unreadable one.
  init(path: String) throws(ServerError) {
    self.path = path
    let file = try AuthFile.load(path: path)
    loaded = Mutex(Loaded(file: file, stamp: Self.stamp(path)))
  }

  /// The grant of the request's bearer token, if it allows `permission`.
  /// - Throws: a 401 ``Problem`` without a valid token, a 403 one when its role does not allow
  ///   `permission`.
  func authorize(_ request: Request, _ permission: Permission) throws(Problem) -> TokenGrant {
    guard let header = request.headers[.authorization] else {
      throw .unauthorized("the request has no bearer token")
    }
    let parts = header.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else {
      throw .unauthorized("the Authorization header is not 'Bearer TOKEN'")
    }
    let file = try current()
    guard let grant = file.grant(forToken: String(parts[1])) else {
      throw .unauthorized("the token is unknown or revoked")
    }
    guard grant.allows(permission) else {
      throw .forbidden(role: grant.role, permission: permission)
    }
    return grant
  }

  /// The auth file, read again when its modification time or size changed. A file that is gone
  /// holds no token: every request is refused until it is back.
  private func current() throws(Problem) -> AuthFile {
    guard let stamp = Self.stamp(path) else { return AuthFile() }
    let cached = loaded.withLock { $0.stamp == stamp ? $0.file : nil }
    if let cached { return cached }
    do {
      let file = try AuthFile.load(path: path)
      loaded.withLock { $0 = Loaded(file: file, stamp: stamp) }
      return file
    } catch {
      throw .unavailable("the auth file cannot be read")
    }
  }

  private static func stamp(_ path: String) -> Stamp? {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      let modified = attributes[.modificationDate] as? Date,
      let size = attributes[.size] as? Int
    else { return nil }
    return Stamp(modified: modified, size: size)
  }
}
