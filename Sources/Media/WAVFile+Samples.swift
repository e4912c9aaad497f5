import Codecs
import WAV

extension WAVFile {
    /// The audio as 16-bit linear samples, interleaved: 8-bit PCM, A-law and µ-law decoded.
    public var samples: [Int16] {
        switch encoding {
        case .pcm16:
            var out: [Int16] = []
            out.reserveCapacity(data.count / 2)
            var index = 0
            while index + 1 < data.count {
                out.append(Int16(bitPattern: UInt16(data[index]) | UInt16(data[index + 1]) << 8))
                index += 2
            }
            return out
        case .pcm8: return data.map { Int16(Int($0) - 128) << 8 }
        case .alaw: return data.map { G711.alawTable[Int($0)] }
        case .ulaw: return data.map { G711.ulawTable[Int($0)] }
        }
    }

    /// One channel: the samples as they are, or the mean of two.
    public var mono: [Int16] {
        let all = samples
        guard channels == 2 else { return all }
        var mixed: [Int16] = []
        mixed.reserveCapacity(all.count / 2)
        var index = 0
        while index + 1 < all.count {
            mixed.append(Int16((Int(all[index]) + Int(all[index + 1])) / 2))
            index += 2
        }
        return mixed
    }
}
