// Word lists for synthetic people, places and notes. The names are common ones
// in East African clinics, where many OpenMRS sites run; none belongs to a real
// patient. Seeded picks from these lists are the only source of names.

export const MALE_GIVEN_NAMES = [
  'John', 'Joseph', 'Peter', 'James', 'David', 'Samuel', 'Daniel', 'Paul', 'Moses', 'Emmanuel',
  'Francis', 'Patrick', 'Stephen', 'Charles', 'George', 'Isaac', 'Kevin', 'Brian', 'Dennis', 'Collins',
  'Juma', 'Baraka', 'Otieno', 'Kiprono', 'Mwangi', 'Kamau', 'Wafula', 'Ochieng', 'Mugisha', 'Habimana',
  'Tumusiime', 'Ssemakula', 'Abdi', 'Hassan', 'Omari', 'Rashidi', 'Emeka', 'Kwame', 'Tendai', 'Sipho',
] as const;

export const FEMALE_GIVEN_NAMES = [
  'Mary', 'Grace', 'Esther', 'Sarah', 'Ruth', 'Faith', 'Mercy', 'Jane', 'Alice', 'Agnes',
  'Lucy', 'Rose', 'Joyce', 'Beatrice', 'Florence', 'Catherine', 'Margaret', 'Elizabeth', 'Naomi', 'Rebecca',
  'Achieng', 'Akinyi', 'Wanjiru', 'Njeri', 'Chebet', 'Jepkosgei', 'Nakato', 'Namubiru', 'Uwase', 'Mukamana',
  'Ingabire', 'Amina', 'Zawadi', 'Neema', 'Rehema', 'Halima', 'Chiamaka', 'Ama', 'Rudo', 'Thandiwe',
] as const;

export const FAMILY_NAMES = [
  'Otieno', 'Odhiambo', 'Ochieng', 'Onyango', 'Omondi', 'Owino', 'Kamau', 'Mwangi', 'Njoroge', 'Kariuki',
  'Wambui', 'Kimani', 'Mutua', 'Musyoka', 'Kiprotich', 'Kipchumba', 'Cheruiyot', 'Wanyama', 'Wekesa', 'Barasa',
  'Okello', 'Opio', 'Ssempala', 'Nsubuga', 'Mukasa', 'Kato', 'Byaruhanga', 'Tumwine', 'Niyonzima', 'Uwimana',
  'Hakizimana', 'Nshimiyimana', 'Mushi', 'Massawe', 'Mollel', 'Mrema', 'Banda', 'Phiri', 'Mwale', 'Tembo',
  'Moyo', 'Ncube', 'Dube', 'Mensah', 'Owusu', 'Okafor', 'Adeyemi', 'Abdullahi', 'Mohamed', 'Ali',
] as const;

export const VILLAGES = [
  'Kibera', 'Kisumu Ndogo', 'Mathare', 'Nyalenda', 'Manyatta', 'Obunga', 'Kondele', 'Migosi', 'Bondo', 'Siaya',
  'Ugunja', 'Busia', 'Mumias', 'Butere', 'Kakamega', 'Lurambi', 'Malava', 'Webuye', 'Bungoma', 'Kimilili',
  'Eldoret', 'Burnt Forest', 'Turbo', 'Moiben', 'Kapsabet', 'Nandi Hills', 'Iten', 'Kabarnet', 'Marigat', 'Mogotio',
] as const;

/** [district, province]: the top of each node's location hierarchy. */
export const DISTRICTS = [
  ['Kisumu East', 'Nyanza'],
  ['Siaya', 'Nyanza'],
  ['Busia', 'Western'],
  ['Kakamega South', 'Western'],
  ['Bungoma North', 'Western'],
  ['Uasin Gishu', 'Rift Valley'],
  ['Nandi', 'Rift Valley'],
  ['Baringo Central', 'Rift Valley'],
  ['Machakos', 'Eastern'],
  ['Kitui West', 'Eastern'],
  ['Nyeri South', 'Central'],
  ['Murang\'a', 'Central'],
] as const;

/** Wards and rooms inside a health centre; visits and encounters happen here. */
export const WARDS = ['Outpatient Department', 'Maternal and Child Health', 'Laboratory', 'Comprehensive Care Clinic', 'Inpatient Ward'] as const;

export const STREET_PREFIXES = ['Plot', 'House', 'Stall', 'Compound'] as const;
export const LANDMARKS = ['near the market', 'behind the church', 'next to the primary school', 'opposite the borehole', 'by the bus stage', 'near the chief\'s camp'] as const;

// Fragments of free-text clinical notes: no names, no identifiers, only clinical words.
export const NOTE_OPENINGS = [
  'Patient reports', 'Presents with', 'Complains of', 'Caregiver reports', 'Returns with', 'Seen for follow-up of',
] as const;
export const NOTE_COMPLAINTS = [
  'fever and chills', 'productive cough', 'dry cough', 'headache', 'loose stools', 'lower abdominal pain',
  'generalised body weakness', 'painful urination', 'itchy rash on the arms', 'difficulty in breathing at night',
  'poor appetite', 'joint pains', 'dizziness', 'swollen feet',
] as const;
export const NOTE_FINDINGS = [
  'Chest clear.', 'Mild pallor noted.', 'No lymphadenopathy.', 'Abdomen soft, non-tender.', 'Alert and oriented.',
  'Mild dehydration.', 'Bilateral wheeze on auscultation.', 'No pedal oedema.', 'Throat injected.', 'Afebrile to touch.',
] as const;
export const PLANS = [
  'Start oral antibiotics and review in one week.',
  'Give antimalarials as per national guidelines; return if no improvement in 3 days.',
  'Counselled on adherence. Continue current regimen.',
  'Refer to the district hospital for further assessment.',
  'Encourage oral fluids; ORS and zinc given.',
  'Continue antihypertensives; recheck blood pressure in two weeks.',
  'Sputum sample sent for GeneXpert.',
  'Health education on diet and exercise given.',
  'Paracetamol for pain; review as needed.',
  'Booked for viral load and CD4 at next visit.',
] as const;
export const VOID_REASONS = ['Entered in error', 'Duplicate entry', 'Wrong patient selected'] as const;
