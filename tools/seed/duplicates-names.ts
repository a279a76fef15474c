// Names for the duplicate-patients population: the seed's lists of common East African names,
// plus names built from syllables, so that (as in a real register) a few names are very common
// and most are rare. None belongs to a real patient.
import type { Rng } from './rng.ts';
import { FAMILY_NAMES, FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES } from './names.ts';

const ONSETS = ['', 'b', 'ch', 'd', 'g', 'h', 'j', 'k', 'l', 'm', 'mb', 'n', 'nd', 'ng', 'ny', 'p', 'r', 's', 't', 'w', 'y', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u'];

/** A made-up name of 2 to 4 syllables, capitalised ("Wandeko"). */
export function syllableName(rng: Rng): string {
  const n = rng.weighted([[2, 2], [3, 5], [4, 2]] as const);
  let s = '';
  for (let i = 0; i < n; i++) s += (i === 0 && rng.chance(0.3) ? '' : rng.pick(ONSETS)) + rng.pick(VOWELS);
  return s[0].toUpperCase() + s.slice(1);
}

export function givenName(rng: Rng, gender: 'M' | 'F'): string {
  if (rng.chance(0.35)) return syllableName(rng);
  return rng.pick(gender === 'M' ? MALE_GIVEN_NAMES : FEMALE_GIVEN_NAMES);
}

export function familyName(rng: Rng): string {
  return rng.chance(0.6) ? syllableName(rng) : rng.pick(FAMILY_NAMES);
}

/**
 * Short forms and spellings a clerk may write instead. Most are in the matcher's nickname table
 * (subscriber/duplicates/nicknames.ts); a few on purpose are not (Kev, Bri), as in real life.
 */
export const NICKNAMES: Record<string, readonly string[]> = {
  Elizabeth: ['Liz', 'Beth', 'Betty'], Margaret: ['Maggie', 'Peggy'], Catherine: ['Cathy', 'Kate'], Rebecca: ['Becky'],
  Beatrice: ['Bea'], Florence: ['Flo'], Agnes: ['Aggie'], Mary: ['Maria', 'Mariamu'], Ruth: ['Ruthie'],
  John: ['Johnny', 'Jack'], Joseph: ['Joe', 'Yusuf'], Peter: ['Pete'], James: ['Jim', 'Jimmy'], David: ['Dave', 'Daudi'],
  Samuel: ['Sam', 'Samwel'], Daniel: ['Dan', 'Danny'], Paul: ['Paulo'], Moses: ['Musa'], Emmanuel: ['Manu'],
  Francis: ['Frank'], Patrick: ['Pat'], Stephen: ['Steve', 'Steven'], Charles: ['Charlie'], Isaac: ['Isaka'],
  Dennis: ['Denis'], Hassan: ['Hasan'], Rashidi: ['Rashid'], Omari: ['Omar'], Halima: ['Halimah'], Amina: ['Aminah'],
  Mohamed: ['Mohammed', 'Muhammad'], Abdullahi: ['Abdallah'], Kevin: ['Kev'], Brian: ['Bri'],
};
