//! [`Verifier`] with a [`Store`]: the two calls a sign-up flow makes.

use super::Redemption;
use super::Store;
use crate::error::Error;
use crate::invitation::Invitation;
use crate::verifier::{Verifier, VerifyOptions};

/// Verification and a store together: the two calls a sign-up flow makes.
impl Verifier {
    /// Verifies `token` and checks with `store` that it is neither revoked nor used up. Counts
    /// nothing: use it when showing the sign-up page (`GET`), which mail scanners also fetch.
    ///
    /// # Errors
    ///
    /// Those of [`Verifier::verify_with`], then those of [`Store::check`].
    pub async fn verify_and_check<S: Store>(
        &self,
        token: &str,
        options: VerifyOptions<'_>,
        store: &S,
    ) -> Result<Invitation, Error> {
        let invitation = self.verify_with(token, options)?;
        store.check(&invitation).await?;
        Ok(invitation)
    }

    /// Verifies `token` and redeems it for `joiner`: when the account is created (`POST`).
    ///
    /// # Errors
    ///
    /// Those of [`Verifier::verify_with`], then those of [`Store::redeem`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] {
    /// # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// # runtime.block_on(async {
    /// use admit::{Invitation, Issuer, SigningKey, VerifyOptions, store::MemoryStore};
    ///
    /// let issuer = Issuer::new(SigningKey::generate()?, "acme/invite")?;
    /// let token = issuer.mint(Invitation::builder().email("ada@example.com").one_time())?;
    /// let verifier = issuer.verifier();
    /// let store = MemoryStore::new();
    /// let ada = VerifyOptions::new().email("ada@example.com");
    /// let (invitation, redemption) =
    ///     verifier.verify_and_redeem(token.as_str(), ada, &store, "user-1").await?;
    /// assert_eq!(redemption.uses, 1);
    /// let again = verifier.verify_and_redeem(token.as_str(), ada, &store, "user-2").await;
    /// assert_eq!(again.unwrap_err(), admit::Error::UsedUp { max_uses: 1 });
    /// # Ok::<(), admit::Error>(())
    /// # })?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn verify_and_redeem<S: Store>(
        &self,
        token: &str,
        options: VerifyOptions<'_>,
        store: &S,
        joiner: &str,
    ) -> Result<(Invitation, Redemption), Error> {
        let invitation = self.verify_with(token, options)?;
        let redemption = store.redeem(&invitation, joiner).await?;
        Ok((invitation, redemption))
    }
}
