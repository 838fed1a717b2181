import ArgumentParser

/// A command that accepts `--store PATH` after its name: the target of a `--store` given before
/// the command (`treatment-ledger --store PATH <command> …`, as `git -C` works).
protocol OpensStore {}

extension Init: OpensStore {}
extension Demo: OpensStore {}
extension Append: OpensStore {}
extension Import: OpensStore {}
extension Validate: OpensStore {}
extension Read: OpensStore {}
extension Verify: OpensStore {}
extension Stats: OpensStore {}
extension Timeline: OpensStore {}
extension Summary: OpensStore {}
extension Report: OpensStore {}
extension Rebuild: OpensStore {}
extension AuditExportCommand: OpensStore {}
extension AuditVerifyCommand: OpensStore {}
extension AuditLogCommand: OpensStore {}
extension AuditAccessCommand: OpensStore {}
extension Serve: OpensStore {}

/// Moves a `--store PATH` (or `--store=PATH`) written before the command to after the command's
/// name, where swift-argument-parser reads it: swift-argument-parser has no option of the root
/// command that its subcommands inherit.
enum LeadingStore {
  /// `arguments` (without the executable) with a leading `--store` moved behind the command path.
  ///
  /// - Throws: `ValidationError` (exit 64) when the path is missing, when `--store` is given
  ///   before and after the command with different paths, or when the command opens no store.
  static func rewrite(_ arguments: [String]) throws -> [String] {
    var rest = arguments[...]
    var leading: String?
    while let first = rest.first, first == "--store" || first.hasPrefix("--store=") {
      rest = rest.dropFirst()
      let path: String
      if first == "--store" {
        guard let value = rest.first, !value.hasPrefix("-") else {
          throw ValidationError("--store before the command needs a path: --store PATH <command>")
        }
        path = value
        rest = rest.dropFirst()
      } else {
        path = String(first.dropFirst("--store=".count))
      }
      if let leading, leading != path {
        throw ValidationError("--store is given twice before the command with different paths")
      }
      leading = path
    }
    guard let leading else { return arguments }
    let (command, depth) = commandPath(Array(rest))
    if depth == 0, let first = rest.first, ["--help", "-h", "help"].contains(first) {
      return Array(rest)  // the tool's help, as without --store
    }
    guard depth > 0 else {
      throw ValidationError("--store PATH must be followed by a command, such as `stats`")
    }
    guard command is OpensStore.Type else {
      let name = rest.prefix(depth).joined(separator: " ")
      // Only the subcommands that take a store (`audit keygen`, for one, does not).
      let subcommands = command.configuration.subcommands.filter {
        $0 is OpensStore.Type || !$0.configuration.subcommands.isEmpty
      }.map { $0._commandName }
      if !subcommands.isEmpty {
        throw ValidationError(
          "`\(name)` needs a subcommand (\(subcommands.joined(separator: ", ")))")
      }
      throw ValidationError("`\(name)` opens no store: leave out --store")
    }
    let names = Array(rest.prefix(depth))
    let tail = Array(rest.dropFirst(depth))
    if let trailing = trailingStore(tail) {
      guard trailing == leading else {
        throw ValidationError(
          "--store is given before the command (\(leading)) and after it (\(trailing)): give one")
      }
      return names + tail
    }
    return names + ["--store", leading] + tail
  }

  /// The innermost command named at the start of `arguments`, and how many names that took.
  static func commandPath(_ arguments: [String]) -> (ParsableCommand.Type, Int) {
    var command: ParsableCommand.Type = TreatmentLedgerCommand.self
    var depth = 0
    while depth < arguments.count,
      let next = command.configuration.subcommands.first(where: {
        $0._commandName == arguments[depth]
      })
    {
      command = next
      depth += 1
    }
    return (command, depth)
  }

  /// The path of a `--store` among the command's own arguments (before any `--`).
  static func trailingStore(_ arguments: [String]) -> String? {
    var found: String?
    var index = 0
    while index < arguments.count, arguments[index] != "--" {
      let argument = arguments[index]
      if argument == "--store", index + 1 < arguments.count {
        found = arguments[index + 1]
        index += 1
      } else if argument.hasPrefix("--store=") {
        found = String(argument.dropFirst("--store=".count))
      }
      index += 1
    }
    return found
  }
}
