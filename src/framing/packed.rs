//! Exact compact storage of an article's stance units, for reports that hold every article's
//! units until the per-outlet bootstrap runs.
//!
//! A [`StanceUnit`] is 56 bytes in memory; most of its fields are small integers or one of a
//! few exact values (a saturated mass of 1, no hedging, a direction of +1 or -1), and its
//! prominence follows from its role and position. [`PackedUnits`] stores each unit in a header
//! byte, a varint and only the floats that carry information (typically 18 bytes), and gives
//! back bit-identical units: the framing numbers computed from unpacked units are the same to
//! the last bit.

use super::{prominence, FramingParams, StanceUnit};
use crate::codec::{put_varint, Reader};
use crate::label::Label;
use crate::sentence::Role;

const ROLES: [Role; 4] = [Role::Headline, Role::Lede, Role::Heading, Role::Body];
/// Header bit: the unit's mass is exactly 1.
const MASS_ONE: u8 = 1 << 4;
/// Header bit: the unit's hedge is exactly +0.
const HEDGE_ZERO: u8 = 1 << 5;
/// Header bits 6-7: direction exactly +1 (1), exactly -1 (2), or stored (0).
const DIR_SHIFT: u8 = 6;

/// An article's stance units, packed losslessly (see the module comment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackedUnits(Box<[u8]>);

impl PackedUnits {
    /// Packs `units` of an article with `sentences` sentences, scored under `p` (the two are
    /// needed to recompute prominences, which are stored only where they differ from
    /// [`prominence`]).
    pub fn pack(units: &[StanceUnit], sentences: usize, p: &FramingParams) -> PackedUnits {
        let mut out = Vec::with_capacity(units.len() * 20);
        for u in units {
            let role = ROLES.iter().position(|r| *r == u.role).unwrap_or(3) as u8;
            let dir = if u.direction.to_bits() == 1f64.to_bits() {
                1
            } else if u.direction.to_bits() == (-1f64).to_bits() {
                2
            } else {
                0
            };
            let mut head = role | (u.stance.index() as u8) << 2 | dir << DIR_SHIFT;
            if u.mass.to_bits() == 1f64.to_bits() {
                head |= MASS_ONE;
            }
            if u.hedge.to_bits() == 0 {
                head |= HEDGE_ZERO;
            }
            out.push(head);
            let implied = prominence(u.role, u.index, sentences, p);
            let explicit = implied.to_bits() != u.prominence.to_bits();
            put_varint(&mut out, (u.index as u64) << 1 | u64::from(explicit));
            out.extend_from_slice(&u.claim.to_le_bytes());
            if dir == 0 {
                out.extend_from_slice(&u.direction.to_le_bytes());
            }
            if head & MASS_ONE == 0 {
                out.extend_from_slice(&u.mass.to_le_bytes());
            }
            if head & HEDGE_ZERO == 0 {
                out.extend_from_slice(&u.hedge.to_le_bytes());
            }
            if explicit {
                out.extend_from_slice(&u.prominence.to_le_bytes());
            }
        }
        PackedUnits(out.into_boxed_slice())
    }

    /// The units back, bit for bit; `sentences` and `p` must be the ones given to
    /// [`PackedUnits::pack`].
    pub fn unpack(&self, sentences: usize, p: &FramingParams) -> Vec<StanceUnit> {
        let mut units = Vec::new();
        let mut r = Reader::new(&self.0, 0);
        while !r.at_end() {
            let head = r.u8();
            let role = ROLES[usize::from(head & 3)];
            let stance = Label::ALL[usize::from(head >> 2 & 3)];
            let word = r.varint();
            let index = (word >> 1) as usize;
            let claim = r.f64();
            let direction = match head >> DIR_SHIFT {
                1 => 1.0,
                2 => -1.0,
                _ => r.f64(),
            };
            let mass = if head & MASS_ONE != 0 { 1.0 } else { r.f64() };
            let hedge = if head & HEDGE_ZERO != 0 { 0.0 } else { r.f64() };
            let prominence = if word & 1 != 0 {
                r.f64()
            } else {
                prominence(role, index, sentences, p)
            };
            units.push(StanceUnit {
                index,
                role,
                prominence,
                mass,
                direction,
                claim,
                hedge,
                stance,
            });
        }
        units
    }

    /// True when the article has no stance unit.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Bytes used by the packed units.
    pub fn byte_len(&self) -> usize {
        self.0.len()
    }

    /// The packed bytes, for storing them (as partial-aggregate files do).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Packed units from bytes given by [`PackedUnits::as_bytes`]; `None` when they are not
    /// well formed (a unit cut short, a varint running past the end or past 64 bits).
    pub fn from_bytes(bytes: &[u8]) -> Option<PackedUnits> {
        let mut at = 0usize;
        while at < bytes.len() {
            let head = bytes[at];
            at += 1;
            let (mut word, mut shift) = (0u64, 0u32);
            loop {
                let b = *bytes.get(at)?;
                at += 1;
                if shift >= 64 {
                    return None;
                }
                word |= u64::from(b & 0x7f) << shift;
                if b < 0x80 {
                    break;
                }
                shift += 7;
            }
            let floats = 1
                + usize::from(!matches!(head >> DIR_SHIFT, 1 | 2))
                + usize::from(head & MASS_ONE == 0)
                + usize::from(head & HEDGE_ZERO == 0)
                + usize::from(word & 1 != 0);
            at = at.checked_add(8 * floats)?;
            if at > bytes.len() {
                return None;
            }
        }
        Some(PackedUnits(bytes.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::rng::Rng;

    fn unit(rng: &mut Rng, index: usize, n: usize, p: &FramingParams) -> StanceUnit {
        let pick = |rng: &mut Rng, k: usize| (rng.uniform() * k as f64) as usize % k;
        let role = ROLES[pick(rng, 4)];
        let special = |rng: &mut Rng, exact: f64| {
            if pick(rng, 2) == 0 {
                exact
            } else {
                rng.uniform()
            }
        };
        StanceUnit {
            index,
            role,
            prominence: if pick(rng, 5) == 0 {
                rng.uniform() * 3.0
            } else {
                prominence(role, index, n, p)
            },
            mass: special(rng, 1.0),
            direction: match pick(rng, 4) {
                0 => 1.0,
                1 => -1.0,
                2 => -0.0,
                _ => rng.uniform() * 2.0 - 1.0,
            },
            claim: rng.uniform(),
            hedge: match pick(rng, 3) {
                0 => 0.0,
                1 => -0.0,
                _ => rng.uniform(),
            },
            stance: Label::ALL[pick(rng, 3)],
        }
    }

    fn bits(u: &StanceUnit) -> (usize, Role, [u64; 5], Label) {
        (
            u.index,
            u.role,
            [u.prominence, u.mass, u.direction, u.claim, u.hedge].map(f64::to_bits),
            u.stance,
        )
    }

    #[test]
    fn units_round_trip_bit_for_bit() {
        let p = FramingParams::default();
        let mut rng = Rng::new(7);
        for n in [1usize, 2, 30, 200, 70_000] {
            let units: Vec<StanceUnit> = (0..n.min(300))
                .map(|i| unit(&mut rng, i * (n / n.min(300)), n, &p))
                .collect();
            let packed = PackedUnits::pack(&units, n, &p);
            let back = packed.unpack(n, &p);
            assert_eq!(back.len(), units.len());
            for (a, b) in units.iter().zip(&back) {
                assert_eq!(bits(a), bits(b));
            }
            assert!(
                packed.byte_len() < units.len() * std::mem::size_of::<StanceUnit>() / 2,
                "packing saves at least half"
            );
        }
        assert!(PackedUnits::pack(&[], 3, &p).is_empty());
    }

    #[test]
    fn real_units_round_trip() {
        use crate::sentence::ScoredSentence;
        let p = FramingParams::default();
        let hedges = crate::framing::Hedges::default();
        let texts = [
            "Putin may be open to talks, sources said.",
            "The Kremlin denied it.",
            "Experts doubt the report.",
            "Aid stalls.",
        ];
        let probs = [
            [0.7, 0.1, 0.1, 0.1],
            [0.1, 0.8, 0.05, 0.05],
            [0.2, 0.2, 0.5, 0.1],
            [0.3, 0.3, 0.2, 0.2],
        ];
        let sentences: Vec<ScoredSentence> = (0..8)
            .map(|i| ScoredSentence {
                index: i,
                role: ROLES[i % 4],
                text: texts[i % 4].to_string(),
                label: Label::RussianClaim,
                argmax: None,
                probs: probs[i % 4],
                hedge: 0.0,
                hedge_cues: Vec::new(),
            })
            .collect();
        let units = crate::framing::stance_units("a", &sentences, &p, &hedges).unwrap();
        assert!(units.len() >= 6);
        let packed = PackedUnits::pack(&units, 8, &p);
        let bytes = packed.as_bytes();
        assert_eq!(PackedUnits::from_bytes(bytes).as_ref(), Some(&packed));
        // A unit cut short (its last float) or a varint running off the end is refused.
        assert!(PackedUnits::from_bytes(&bytes[..bytes.len() - 1]).is_none());
        assert!(PackedUnits::from_bytes(&[0, 0x80]).is_none());
        let back = packed.unpack(8, &p);
        assert_eq!(back, units);
    }
}
