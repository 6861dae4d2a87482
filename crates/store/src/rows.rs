//! Row structs read by column name, as `#[derive(sqlx::FromRow)]` reads them, without sqlx's
//! proc macros (they build a second copy of sqlx's drivers for the compiler host; see
//! `migrations.rs`).

/// Declares a struct and reads it from a row of either backend, each field from the column of
/// its name; the fields after `flatten` are read from the same row as rows of their own.
///
/// ```text
/// row! {
///     struct AppointmentRow { number: i64, slot_id: i64 }
///     flatten { session: SessionRow }
/// }
/// ```
macro_rules! row {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty ),* $(,)?
        }
        $( flatten { $( $(#[$nmeta:meta])* $nvis:vis $nested:ident : $nty:ty ),* $(,)? } )?
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: $ty, )*
            $( $( $(#[$nmeta])* $nvis $nested: $nty, )* )?
        }

        impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for $name
        where
            &'r str: sqlx::ColumnIndex<R>,
            $( $ty: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>, )*
            $( $( $nty: sqlx::FromRow<'r, R>, )* )?
        {
            fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
                Ok(Self {
                    $( $field: row.try_get(stringify!($field))?, )*
                    $( $( $nested: <$nty as sqlx::FromRow<'r, R>>::from_row(row)?, )* )?
                })
            }
        }
    };
}

pub(crate) use row;
