-- The schema routeplanner made before it had migrations (Base.metadata.create_all,
-- commit 2d8a530), as SQLAlchemy compiled it for sqlite: tests/web/test_migrations.py
-- builds an old database from it.
CREATE TABLE scenarios (
	id INTEGER NOT NULL, 
	name VARCHAR(300) NOT NULL, 
	settings JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	copied_from_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(copied_from_id) REFERENCES scenarios (id) ON DELETE SET NULL
);
CREATE TABLE plans (
	id INTEGER NOT NULL, 
	scenario_id INTEGER NOT NULL, 
	label VARCHAR(300) NOT NULL, 
	created_at DATETIME NOT NULL, 
	"plan" JSON NOT NULL, 
	scenario_snapshot JSON NOT NULL, 
	params JSON NOT NULL, 
	solver_version VARCHAR(200) NOT NULL, 
	run_time_s FLOAT NOT NULL, 
	distance_km FLOAT NOT NULL, 
	stops_served INTEGER NOT NULL, 
	stops_total INTEGER NOT NULL, 
	loans_served FLOAT NOT NULL, 
	loans_total FLOAT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(scenario_id) REFERENCES scenarios (id) ON DELETE CASCADE
);
CREATE INDEX ix_plans_scenario_id ON plans (scenario_id);
CREATE TABLE stops (
	id INTEGER NOT NULL, 
	scenario_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	stop_id VARCHAR(200) NOT NULL, 
	name VARCHAR(300) NOT NULL, 
	lat FLOAT NOT NULL, 
	lon FLOAT NOT NULL, 
	address TEXT NOT NULL, 
	loans_per_visit FLOAT NOT NULL, 
	frequency VARCHAR(50) NOT NULL, 
	service_minutes INTEGER NOT NULL, 
	window_start VARCHAR(5), 
	window_end VARCHAR(5), 
	days VARCHAR(100) NOT NULL, 
	must BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(scenario_id) REFERENCES scenarios (id) ON DELETE CASCADE
);
CREATE INDEX ix_stops_scenario_id ON stops (scenario_id);
CREATE TABLE jobs (
	id INTEGER NOT NULL, 
	scenario_id INTEGER NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	params JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	started_at DATETIME, 
	finished_at DATETIME, 
	heartbeat_at DATETIME, 
	elapsed_s FLOAT NOT NULL, 
	best_cost BIGINT, 
	phase VARCHAR(40) NOT NULL, 
	message TEXT NOT NULL, 
	cancel_requested BOOLEAN NOT NULL, 
	attempts INTEGER NOT NULL, 
	plan_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(scenario_id) REFERENCES scenarios (id) ON DELETE CASCADE, 
	FOREIGN KEY(plan_id) REFERENCES plans (id) ON DELETE SET NULL
);
CREATE INDEX ix_jobs_scenario_id ON jobs (scenario_id);
CREATE INDEX ix_jobs_status ON jobs (status);
