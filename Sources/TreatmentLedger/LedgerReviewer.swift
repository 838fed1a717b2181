import ControlledSubstances
import Foundation
import LedgerEventStore
import LedgerFoundation
import TreatmentRecords

/// The ledger's rule set: the clinical rules for `patient-<id>` streams (`ClinicalReviewer`),
/// the controlled-substance rules for `inventory-<site>` streams (`InventoryReviewer`) and the
/// legal-hold rules of the clinic stream `legal-holds` (`LegalHoldReviewer`), as the one
/// `AppendReviewer` a store takes. An append over both kinds of stream (a dose and its
/// withdrawal) is judged stream by stream in one transaction: all of it is written or none.
public struct LedgerReviewer: AppendReviewer {
  /// The clinical rules.
  public let clinical: ClinicalReviewer
  /// The controlled-substance rules.
  public let inventory: InventoryReviewer
  /// The legal-hold rules.
  public let holds = LegalHoldReviewer()

  /// Both rule sets with their settings.
  public init(
    clinical: ClinicalReviewer = ClinicalReviewer(),
    inventory: InventoryReviewer = InventoryReviewer()
  ) {
    self.clinical = clinical
    self.inventory = inventory
  }

  /// One stream's state: a patient's decision state, a site's record or the clinic's legal
  /// holds (the others are nil).
  public struct State {
    var patient: PatientDecisionState?
    var site: InventoryReviewer.State?
    var holds: LegalHoldState?
  }

  /// True for `patient-*`, `inventory-*` and `legal-holds` streams.
  public func reviews(stream: String) -> Bool {
    clinical.reviews(stream: stream) || inventory.reviews(stream: stream)
      || holds.reviews(stream: stream)
  }

  /// True: both rule sets change the state only after every check has passed.
  public var leavesStateUnchangedWhenRefusing: Bool { true }

  /// Recorded under the clinical rules' name (so stores written before the inventory rules keep
  /// opening), now governing both prefixes in new stores.
  public var requirement: ReviewerRequirement? {
    ReviewerRequirement(
      name: "treatment-records.clinical",
      streamPrefixes: [
        ClinicalReviewer.patientStreamPrefix, InventoryReviewer.siteStreamPrefix,
        LegalHoldReviewer.stream,
      ])
  }

  /// Decodes with the rule set of the stream.
  public func decodeState(_ bytes: [UInt8]?, stream: String) throws(EventStoreError) -> State {
    if inventory.reviews(stream: stream) {
      return State(site: try inventory.decodeState(bytes, stream: stream))
    }
    if holds.reviews(stream: stream) {
      return State(holds: try holds.decodeState(bytes, stream: stream))
    }
    return State(patient: try clinical.decodeState(bytes, stream: stream))
  }

  /// Encodes with the rule set of the state.
  public func encodeState(_ state: State) -> [UInt8] {
    if let site = state.site { return inventory.encodeState(site) }
    if let held = state.holds { return holds.encodeState(held) }
    return clinical.encodeState(state.patient ?? PatientDecisionState())
  }

  /// The keyed facts of a site stream, or of a patient stream (its decision state's entries);
  /// none for `legal-holds` (its whole state is its head).
  public func facts(of events: [RecordedEvent], stream: String) -> [[UInt8]: [UInt8]]? {
    if holds.reviews(stream: stream) { return [:] }
    return inventory.reviews(stream: stream)
      ? inventory.facts(of: events, stream: stream) : clinical.facts(of: events, stream: stream)
  }

  /// True: patient streams keep their decision state as keyed facts (the inventory's facts are
  /// written by its reviews).
  public var keepsStateInFacts: Bool { true }

  /// The site's or the holds' state as ``decodeState(_:stream:)`` reads it, or the patient's from
  /// its head and facts.
  public func decodeState(
    _ bytes: [UInt8]?, stream: String, facts: [(key: [UInt8], value: [UInt8])]
  ) throws(EventStoreError) -> State {
    if inventory.reviews(stream: stream) || holds.reviews(stream: stream) {
      return try decodeState(bytes, stream: stream)
    }
    return State(patient: try clinical.decodeState(bytes, stream: stream, facts: facts))
  }

  /// The patient's entries as keyed facts; none for a site (its facts are its reviews').
  public func stateFacts(_ state: State, stream: String) -> [[UInt8]: [UInt8]] {
    state.patient.map { clinical.stateFacts($0, stream: stream) } ?? [:]
  }

  /// For a patient stream, whether `bytes` are a head with facts; true for a site and for
  /// `legal-holds`.
  public func storedStateHasFacts(_ bytes: [UInt8], stream: String) -> Bool {
    inventory.reviews(stream: stream) || holds.reviews(stream: stream)
      || clinical.storedStateHasFacts(bytes, stream: stream)
  }

  /// Folds a stored event with the rule set of the stream.
  public func absorb(_ event: RecordedEvent, stream: String, state: inout State) {
    if var held = state.holds {
      holds.absorb(event, stream: stream, state: &held)
      state.holds = held
    } else if var site = state.site {
      state.site = nil
      inventory.absorb(event, stream: stream, state: &site)
      state.site = site
    } else {
      var patient = state.patient ?? PatientDecisionState()
      state.patient = nil
      clinical.absorb(event, stream: stream, state: &patient)
      state.patient = patient
    }
  }

  /// For a patient stream, the clinical rules' typed decode of `event`, made ahead of its
  /// review; nil for the other streams.
  public func prepare(_ event: ProposedEvent, stream: String) -> (any Sendable)? {
    guard !inventory.reviews(stream: stream), !holds.reviews(stream: stream) else { return nil }
    return clinical.prepare(event, stream: stream)
  }

  /// Reviews with the rule set of the stream. The inner state is moved out of `state` while it
  /// is reviewed, so that it is changed in place rather than copied.
  public func review(
    _ event: ProposedEvent, index: Int, stream: String, state: inout State,
    context: ReviewContext
  ) throws(EventStoreError) -> [JSONValue] {
    try review(event, index: index, stream: stream, state: &state, context: context, prepared: nil)
  }

  /// Reviews with the rule set of the stream, with what ``prepare(_:stream:)`` made for the
  /// event (nil when it was not prepared).
  public func review(
    _ event: ProposedEvent, index: Int, stream: String, state: inout State,
    context: ReviewContext, prepared: (any Sendable)?
  ) throws(EventStoreError) -> [JSONValue] {
    if var held = state.holds {
      defer { state.holds = held }
      return try holds.review(event, index: index, stream: stream, state: &held, context: context)
    }
    if var site = state.site {
      state.site = nil
      defer { state.site = site }
      return try inventory.review(
        event, index: index, stream: stream, state: &site, context: context)
    }
    var patient = state.patient ?? PatientDecisionState()
    state.patient = nil
    defer { state.patient = patient }
    return try clinical.review(
      event, index: index, stream: stream, state: &patient, context: context, prepared: prepared)
  }
}

extension LedgerReviewer.State {
  init(patient: PatientDecisionState) {
    self.patient = patient
  }

  init(site: InventoryReviewer.State) {
    self.site = site
  }

  init(holds: LegalHoldState) {
    self.holds = holds
  }
}
