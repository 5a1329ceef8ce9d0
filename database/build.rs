// `sqlx::migrate!` embeds the migrations at compile time; without this, a new migration file
// leaves an already-built crate as it was (what `sqlx migrate build-script` writes).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
