import Foundation

extension Instrument {
  /// The number of items.
  var itemCount: Int {
    switch self {
    case .phq9: 9
    case .gad7: 7
    case .pcl5: 20
    case .madrs: 10
    case .qidsSr16: 16
    case .cadss: 23
    }
  }

  /// The range of each item's score.
  var itemRange: ClosedRange<Int> {
    switch self {
    case .phq9, .gad7, .qidsSr16: 0...3
    case .pcl5, .cadss: 0...4
    case .madrs: 0...6
    }
  }

  /// The range of the total score.
  var totalRange: ClosedRange<Int> {
    switch self {
    case .phq9: 0...27
    case .gad7: 0...21
    case .pcl5: 0...80
    case .madrs: 0...60
    case .qidsSr16: 0...27
    case .cadss: 0...92
    }
  }

  /// The instrument's display name.
  var displayName: String {
    switch self {
    case .phq9: "PHQ-9"
    case .gad7: "GAD-7"
    case .pcl5: "PCL-5"
    case .madrs: "MADRS"
    case .qidsSr16: "QIDS-SR16"
    case .cadss: "CADSS"
    }
  }

  /// The total for valid item scores: the plain sum, except QIDS-SR16, which scores nine
  /// domains: the highest of items 1–4 (sleep), item 5, the highest of items 6–9 (appetite and
  /// weight), items 10–14, and the highest of items 15–16 (psychomotor).
  func score(_ items: [Int]) -> Int {
    guard self == .qidsSr16, items.count == 16 else { return items.reduce(0, +) }
    let sleep = items[0...3].max() ?? 0
    let appetite = items[5...8].max() ?? 0
    let psychomotor = items[14...15].max() ?? 0
    return sleep + items[4] + appetite + items[9...13].reduce(0, +) + psychomotor
  }
}
