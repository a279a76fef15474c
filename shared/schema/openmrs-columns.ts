// Column and key fragments shared by the OpenMRS table definitions.

export const CHARSET = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';

// Audit columns shared by most tables. `creator` and friends point at users.
export const created = `creator INT NOT NULL, date_created DATETIME NOT NULL`;
export const changed = `changed_by INT NULL, date_changed DATETIME NULL`;
export const voided = `voided TINYINT(1) NOT NULL DEFAULT 0, voided_by INT NULL, date_voided DATETIME NULL, void_reason VARCHAR(255) NULL`;
export const retired = `retired TINYINT(1) NOT NULL DEFAULT 0, retired_by INT NULL, date_retired DATETIME NULL, retire_reason VARCHAR(255) NULL`;
export const uuid = `uuid CHAR(38) NOT NULL`;

/** Keys from creator, changed_by and voided_by or retired_by to users. */
export function auditKeys(t: string, kind: 'voided' | 'retired' | 'none'): string {
  const keys = [
    `CONSTRAINT ${t}_creator_fk FOREIGN KEY (creator) REFERENCES users (user_id)`,
    `CONSTRAINT ${t}_changed_by_fk FOREIGN KEY (changed_by) REFERENCES users (user_id)`,
  ];
  if (kind === 'voided') keys.push(`CONSTRAINT ${t}_voided_by_fk FOREIGN KEY (voided_by) REFERENCES users (user_id)`);
  if (kind === 'retired') keys.push(`CONSTRAINT ${t}_retired_by_fk FOREIGN KEY (retired_by) REFERENCES users (user_id)`);
  return keys.join(',\n  ');
}
