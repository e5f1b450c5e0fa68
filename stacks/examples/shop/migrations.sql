-- Applied by the `migrate` task; safe to run again.
CREATE TABLE IF NOT EXISTS orders (
  id serial PRIMARY KEY,
  item text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
