import LedgerEventStore

/// Follows an export's events along its chain with the store's `ChainFollower`, checks them
/// against the filter and the manifest's anchors, and counts them; then checks that the export
/// ends where the manifest says and that the events around it continue its chain.
struct ExportChainWalk {
  let manifest: AuditManifest
  /// The patient's stream, for a patient export.
  let stream: String?
  /// The file problems with the events are reported in (`events.ndjson`, or `events.csv`
  /// without it).
  let file: String
  private var follower: ChainFollower?
  /// The last event taken.
  private(set) var previous: ChainView?
  /// Events taken.
  private(set) var count: UInt64 = 0
  /// Of those, events in the filter's range.
  private(set) var inRange: UInt64 = 0

  init(manifest: AuditManifest, stream: String?, file: String) {
    self.manifest = manifest
    self.stream = stream
    self.file = file
  }

  private var anchors: AuditManifest.Anchors { manifest.anchors }
  private var followsLog: Bool { anchors.chain == .log }
  private var indexName: String { followsLog ? "position" : "version" }

  private func index(_ anchor: AuditManifest.EventAnchor) -> UInt64 {
    followsLog ? anchor.globalPosition : anchor.streamVersion
  }

  /// Takes the event of line `line` (`matches`: it is in the range): the filter, then the
  /// chain, then the manifest's anchors.
  mutating func take(_ view: ChainView, matches: Bool, line: UInt64) throws(Stop) {
    if let stream, view.streamId != stream {
      throw Stop(
        .outsideFilter, file, line: line, "the event belongs to another stream than \(stream)")
    }
    guard let recorded = Timestamp.parseMicros(view.recordedAt) else {
      throw Stop(.malformedLine, file, line: line, "recordedAt is not a time")
    }
    if manifest.contents == .recordedRange && !manifest.filter.contains(micros: recorded) {
      throw Stop(
        .outsideFilter, file, line: line, "recordedAt \(view.recordedAt) is outside the range")
    }
    var follower = self.follower ?? start(before: view)
    if let broken = follower.follow(view.link(recordedAtMicros: recorded)) {
      throw problem(broken, line: line)
    }
    if previous == nil, anchors.first != view.anchor {
      throw Stop(
        .anchorMismatch, file, line: line, "the first event is not the manifest's first event")
    }
    if view.globalPosition >= anchors.store.events {
      throw Stop(
        .anchorMismatch, file, line: line, "the event is beyond the store head the manifest names")
    }
    self.follower = follower
    previous = view
    count += 1
    if matches { inRange += 1 }
  }

  /// The follower of the export's chain, from the event before the export when the manifest
  /// names one (`first` is the export's first event).
  private func start(before first: ChainView) -> ChainFollower {
    // Following the log, every stream's links are checked too (from each stream's first event
    // in the export when the export starts after an event).
    let scope: ChainFollower.Scope =
      followsLog ? .log(streams: true) : .stream(stream ?? first.streamId)
    guard let before = anchors.before else { return ChainFollower(scope) }
    // A manifest hash that is not a hash links to nothing: stand in one the event cannot name.
    let named = followsLog ? first.previousHash : first.previousStreamHash
    let hash = ChainHash(hex: before.hash) ?? ChainHash(bytes: named.bytes.map { ~$0 }) ?? named
    return ChainFollower(scope, after: ChainFollower.Point(index: index(before), hash: hash))
  }

  /// The problem a break of the chain at line `line` is.
  private func problem(_ broken: ChainBreak, line: UInt64) -> Stop {
    switch broken {
    case .streamVersion(let expected, let found) where followsLog:
      // A version of a stream skipped or repeated inside an unbroken log: a forged event.
      return Stop(
        found < expected ? .unexpectedEvent : .missingEvent, file, line: line,
        "the event holds version \(found) of its stream where \(expected) comes next (the stream's chain is broken)"
      )
    case .streamLink where followsLog:
      return Stop(
        .brokenChain, file, line: line,
        "previousStreamHash is not the hash of the stream's previous event")
    case .position(let expected, let found), .streamVersion(let expected, let found):
      if found < expected {
        return Stop(
          .unexpectedEvent, file, line: line,
          "the line holds \(indexName) \(found) where \(expected) comes next (a line was added or moved)"
        )
      }
      let missing =
        found - expected == 1
        ? "\(indexName) \(expected) is missing"
        : "\(indexName)s \(expected)…\(found - 1) are missing"
      return Stop(
        .missingEvent, file, line: line,
        "the line holds \(indexName) \(found) where \(expected) comes next: \(missing) (a line was removed or moved)"
      )
    case .logLink, .streamLink:
      let link = followsLog ? "previousHash" : "previousStreamHash"
      let before = previous == nil ? "event before the export (manifest)" : "previous line"
      return Stop(.brokenChain, file, line: line, "\(link) is not the hash of the \(before)")
    case .positionNotIncreasing:
      return Stop(.unexpectedEvent, file, line: line, "global positions do not increase")
    case .recordedAtDecreased:
      return Stop(.unexpectedEvent, file, line: line, "recordedAt decreases")
    case .otherStream:
      return Stop(
        .outsideFilter, file, line: line,
        "the event belongs to another stream than \(stream ?? "the export's")")
    }
  }

  // MARK: The ends of the export

  /// After the last event: the export ends at the manifest's last event, holds the counts it
  /// names, and the events around it and the heads continue its chain.
  func checkEnd() throws(Stop) {
    if let last = previous {
      guard let manifestLast = anchors.last else {
        throw Stop(.anchorMismatch, AuditManifest.fileName, "the manifest names no last event")
      }
      let (end, named) = (index(last.anchor), index(manifestLast))
      if end != named {
        throw Stop(
          end < named ? .missingEvent : .unexpectedEvent, file, line: count,
          "the export ends at \(indexName) \(end), the manifest's last event is \(named): "
            + (end < named ? "lines at the end were removed" : "lines were added at the end"))
      }
      if last.anchor != manifestLast {
        throw Stop(
          .anchorMismatch, file, line: count, "the last event is not the manifest's last event")
      }
    }
    if count != manifest.counts.events {
      throw Stop(
        .countMismatch, file, "\(count) events where the manifest says \(manifest.counts.events)")
    }
    if inRange != manifest.counts.eventsInRange {
      throw Stop(
        .countMismatch, file,
        "\(inRange) events in range where the manifest says \(manifest.counts.eventsInRange)")
    }
    let end = chainEnd()
    if let before = anchors.before { try checkBefore(before) }
    if let after = anchors.after {
      try checkAfter(after, end: end)
    } else {
      try checkHead(end: end)
    }
  }

  /// Where the chain stands after the export's last event (or after `before` when it is empty):
  /// the index the next event would hold and the hash it would name.
  private func chainEnd() -> (next: UInt64, index: UInt64?, hash: String) {
    if let last = previous {
      let end = index(last.anchor)
      return (end + 1, end, last.hash.hex)
    }
    if let before = anchors.before { return (index(before) + 1, index(before), before.hash) }
    return (0, nil, ChainHash.zero.hex)
  }

  private func checkBefore(_ before: AuditManifest.EventAnchor) throws(Stop) {
    let file = AuditManifest.fileName
    guard manifest.contents == .recordedRange, let from = manifest.filter.fromMicros else {
      throw Stop(
        .manifestInconsistent, file,
        "an event before the export is named, but the range has no start")
    }
    guard let recorded = Timestamp.parseMicros(before.recordedAt), recorded < from else {
      throw Stop(.anchorMismatch, file, "the event before the export was recorded inside the range")
    }
    if before.globalPosition >= anchors.store.events {
      throw Stop(.anchorMismatch, file, "the event before the export is beyond the store head")
    }
  }

  private func checkAfter(
    _ after: AuditManifest.EventAnchor, end: (next: UInt64, index: UInt64?, hash: String)
  ) throws(Stop) {
    let file = AuditManifest.fileName
    guard manifest.contents == .recordedRange, let to = manifest.filter.toMicros else {
      throw Stop(
        .manifestInconsistent, file, "an event after the export is named, but the range has no end")
    }
    guard let recorded = Timestamp.parseMicros(after.recordedAt), recorded >= to else {
      throw Stop(.anchorMismatch, file, "the event after the export was recorded inside the range")
    }
    if index(after) != end.next
      || (followsLog ? after.previousHash : after.previousStreamHash) != end.hash
    {
      throw Stop(
        .anchorMismatch, file,
        "the event after the export does not continue its chain (events at the end of the range are missing)"
      )
    }
    if after.globalPosition >= anchors.store.events {
      throw Stop(.anchorMismatch, file, "the event after the export is beyond the store head")
    }
    if !followsLog {
      guard let head = anchors.streamHead, head.streamVersion >= after.streamVersion else {
        throw Stop(.anchorMismatch, file, "the stream head is before the event after the export")
      }
    }
  }

  /// No event after the export: it ends at the head of its chain.
  private func checkHead(end: (next: UInt64, index: UInt64?, hash: String)) throws(Stop) {
    let file = AuditManifest.fileName
    if followsLog {
      if end.next != anchors.store.events || end.hash != anchors.store.chainHead {
        throw Stop(
          .anchorMismatch, file,
          "the export should end at the store head (\(anchors.store.events) events, chain head \(anchors.store.chainHead)) but ends at \(end.next) events: events at the end are missing"
        )
      }
      return
    }
    let head = anchors.streamHead
    let reached =
      end.index.map { version in
        head.map { $0.streamVersion == version && $0.hash == end.hash } ?? false
      } ?? (head == nil)
    if !reached {
      throw Stop(
        .anchorMismatch, file,
        "the export should end at the stream head (version \(head.map { String($0.streamVersion) } ?? "none")) but ends at version \(end.index.map(String.init) ?? "none"): events at the end are missing"
      )
    }
    if let head, head.globalPosition >= anchors.store.events {
      throw Stop(.anchorMismatch, file, "the stream head is beyond the store head")
    }
  }
}
